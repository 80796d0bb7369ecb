"""channel specs (xen-pv-channel(7)): ``name=...,connection=pty|socket,path=...``.

Items are split on ',' (empty ones skipped), then on '=' (xl keeps only the
text up to a second '='), both sides trimmed of blanks.  Unknown keys are
ignored by xl with a message (a warning here).
"""

from __future__ import annotations

from xl_py.model.devices import ChannelPty, ChannelSocket, ChannelUnion, DeviceChannel
from xl_py.settings._spec import SpecSite, Token, did_you_mean, strtok

CONNECTIONS = ("pty", "socket")


def _pair(tok: Token) -> tuple[Token, Token] | None:
    """split_string_into_pair(..., "="): first two non-empty '='-runs."""
    parts = strtok(tok.text, "=", skip_blanks=False)
    if len(parts) < 2:
        return None
    key, value = parts[0], parts[1]
    return (Token(key.text, tok.start + key.start).strip(),
            Token(value.text, tok.start + value.start).strip())


def parse_channel(spec: str, where: SpecSite | None = None, devid: int = -1) -> DeviceChannel:
    """One ``channel=[...]`` item -> libxl_device_channel."""
    site = (where or SpecSite.standalone(spec, "channel")).named("channel")
    backend: str | None = None
    name: str | None = None
    path: str | None = None
    connection: Token | None = None
    items = strtok(spec, ",", skip_blanks=False)
    if not items:
        raise site.error("empty channel spec", 0, len(spec),
                         expected="name=NAME,connection=pty|socket[,path=PATH]")
    for tok in items:
        pair = _pair(tok)
        if pair is None:
            raise site.error(f"'{tok.text}' is not key=value", tok.start, tok.end,
                             expected="backend=, name=, connection=, path=")
        key, value = pair
        if key.text == "backend":
            backend = value.text
        elif key.text == "name":
            name = value.text
        elif key.text == "path":
            path = value.text
        elif key.text == "connection":
            if value.text not in CONNECTIONS:
                raise site.error(f"unknown connection '{value.text}'", value.start,
                                 value.end, expected="pty | socket")
            connection = value
        else:
            site.warn(f"unknown channel parameter '{key.text}' (xl ignores it)",
                      key.start, key.end, expected="backend=, name=, connection=, path=",
                      hint=did_you_mean(key.text, ("backend", "name", "connection", "path")))
    u: ChannelUnion
    if connection is None:
        raise site.error("no connection= given", 0, len(spec), expected="connection=pty | "
                         "connection=socket,path=PATH")
    if connection.text == "socket":
        if path is None:
            raise site.error("connection 'socket' requires path=", connection.start,
                             connection.end, expected="path=/path/to/socket")
        u = ChannelSocket(path=path)
    else:
        u = ChannelPty()
    return DeviceChannel(backend_domname=backend, devid=devid, name=name, u=u)
