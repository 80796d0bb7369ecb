"""vsnd specs: a card is a *list* of items, each starting with its kind::

    vsnd = [ ["card, short-name=A, sample-rates=8000;48000",
              "pcm, name=p0", "stream, unique-id=s0, type=p"], ... ]

``card`` params apply to the card, ``pcm`` opens a new pcm, ``stream`` a new
stream in the last pcm (creating a pcm when none exists).  Params shared by
all three: sample-rates, sample-formats, channels-min, channels-max,
buffer-size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xl_py._record import replace
from xl_py.model.devices import (
    DeviceVsnd,
    VsndParams,
    VsndPcm,
    VsndPcmFormat,
    VsndStream,
    VsndStreamType,
)
from xl_py.settings._spec import SpecSite, Token, strtok, strtoul

PCM_FORMATS = {f.value: f for f in VsndPcmFormat}
STREAM_TYPES = {t.value: t for t in VsndStreamType}
PARAM_KEYS = ("sample-rates", "sample-formats", "channels-min", "channels-max",
              "buffer-size")
OWN_KEYS = {"card": ("backend", "short-name", "long-name"), "pcm": ("name",),
            "stream": ("unique-id", "type")}


def _params(params: VsndParams, key: Token, value: Token, site: SpecSite) -> VsndParams:
    if key.text in ("sample-rates", "sample-formats") and \
            not strtok(value.text, ";", skip_blanks=False):
        raise site.error(f"{key.text}: empty list (xl 4.17 crashes on it)", key.start,
                         value.end, expected="values separated by ';', e.g. 44100;48000")
    if key.text == "sample-rates":
        rates = tuple(strtoul(t.text, 0)[0] & 0xFFFFFFFF
                      for t in strtok(value.text, ";", skip_blanks=False))
        return replace(params, sample_rates=rates)
    if key.text == "sample-formats":
        formats = []
        for item in strtok(value.text, ";", skip_blanks=False):
            fmt = PCM_FORMATS.get(item.text.lower())
            if fmt is None:
                raise site.error(f"invalid pcm format '{item.text}'",
                                 value.start + item.start, value.start + item.end,
                                 expected=" | ".join(PCM_FORMATS))
            formats.append(fmt)
        return replace(params, sample_formats=tuple(formats))
    number: dict[str, Any] = {key.text.replace("-", "_"): strtoul(value.text, 0)[0] & 0xFFFFFFFF}
    return replace(params, **number)


class _Card:
    """The card being built from its items."""

    def __init__(self, devid: int) -> None:
        self.fields: dict[str, Any] = {"devid": devid}
        self.params = VsndParams()
        self.pcms: list[tuple[dict[str, Any], VsndParams, list[list[Any]]]] = []

    def build(self) -> DeviceVsnd:
        pcms = tuple(VsndPcm(params=params, streams=tuple(
            VsndStream(unique_id=s[0], type=s[1], params=s[2]) for s in streams), **f)
            for f, params, streams in self.pcms)
        return DeviceVsnd(params=self.params, pcms=pcms, **self.fields)


def _item(card: _Card, spec: str, site: SpecSite) -> None:
    tokens = strtok(spec)
    if not tokens:
        return
    kind = tokens[0].text.lower()
    if kind not in OWN_KEYS:
        raise site.error(f"invalid item kind '{tokens[0].text}'", tokens[0].start,
                         tokens[0].end, expected="card | pcm | stream")
    if kind == "pcm" or (kind == "stream" and not card.pcms):
        card.pcms.append(({}, VsndParams(), []))
    if kind == "stream":
        card.pcms[-1][2].append([None, None, VsndParams()])
    for tok in tokens[1:]:
        _param(card, kind, tok, site)


def _param(card: _Card, kind: str, tok: Token, site: SpecSite) -> None:
    pair = tok.split_pair("=")
    allowed = (*PARAM_KEYS, *OWN_KEYS[kind])
    if pair is None or pair[0].text not in allowed:
        raise site.error(f"invalid {kind} parameter '{tok.text}'", tok.start, tok.end,
                         expected=", ".join(k + "=" for k in allowed))
    key, value = pair
    if kind == "card":
        if key.text in PARAM_KEYS:
            card.params = _params(card.params, key, value, site)
        else:
            name = {"backend": "backend_domname"}.get(key.text, key.text.replace("-", "_"))
            card.fields[name] = value.text
    elif kind == "pcm":
        fields, params, streams = card.pcms[-1]
        if key.text in PARAM_KEYS:
            card.pcms[-1] = (fields, _params(params, key, value, site), streams)
        else:
            fields["name"] = value.text
    else:
        stream = card.pcms[-1][2][-1]
        if key.text in PARAM_KEYS:
            stream[2] = _params(stream[2], key, value, site)
        elif key.text == "unique-id":
            stream[0] = value.text
        elif value.text.lower() in STREAM_TYPES:
            stream[1] = STREAM_TYPES[value.text.lower()]
        else:
            raise site.error(f"invalid stream type '{value.text}'", value.start, value.end,
                             expected="p | c")


def parse_vsnd(items: Sequence[tuple[str, SpecSite | None]], devid: int = -1) -> DeviceVsnd:
    """One ``vsnd=[[...]]`` card (its list of item strings) -> libxl_device_vsnd."""
    card = _Card(devid)
    for spec, where in items:
        _item(card, spec, (where or SpecSite.standalone(spec, "vsnd")).named("vsnd"))
    return card.build()
