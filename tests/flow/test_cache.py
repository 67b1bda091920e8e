"""The flow's one cache and one record: whole entries or none, damaged ones recomputed."""

from __future__ import annotations

import json
import os

import pytest

from gen.flow.cache import Cache, content_key, file_digest
from gen.flow.record import COMMON_FIELDS, EnergyRecord, fj


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _record(**extra) -> EnergyRecord:
    return EnergyRecord(
        module="m", params={"w": 8}, seed=1, switching_fj=1.5, internal_fj=2.0,
        leakage_fj=0.001, input_switching_fj=0.5, groups={}, liberty="lib", liberty_path="/l",
        voltage_v=1.8, period_ns=10.0, wire_load="default", sim="icarus", cells=3,
        unannotated_nets=0, seconds=1.0, limits=["zero delay"], extra=dict(extra))


def test_content_key_separates_parts_and_takes_bytes():
    assert content_key(["ab", "c"]) != content_key(["a", "bc"])
    assert content_key([b"x", 1]) == content_key(["x", "1"])
    assert len(content_key([])) == 24


def test_file_digest(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    assert file_digest(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_cache_roundtrip_damage_and_drop(tmp_path):
    cache = Cache(tmp_path / "c")
    assert cache.load("k") is None and not (tmp_path / "c").exists()
    cache.store("k", {"x": 1})
    assert cache.load("k") == {"x": 1}
    path = cache.path("k")
    for damaged in ('{"x": ', "\x00garbage", "[1, 2]"):
        path.write_text(damaged)
        assert cache.load("k") is None
        assert not path.exists()  # removed, so that it is recomputed
        cache.store("k", {"x": 1})
    cache.drop("k")
    assert not path.exists()


def test_cache_off_stores_nothing(tmp_path):
    cache = Cache(None)
    cache.store("k", {"x": 1})
    assert cache.load("k") is None and cache.path("k") is None and cache.directory is None


def test_cache_interrupted_store_keeps_old_entry(tmp_path, monkeypatch):
    cache = Cache(tmp_path)
    cache.store("k", {"x": 1})
    monkeypatch.setattr(os, "replace", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        cache.store("k", {"x": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json"]
    assert json.loads((tmp_path / "k.json").read_text()) == {"x": 1}


def test_record_flattens_and_reads_family_fields():
    r = _record(energy_per_mac_fj=0.25, kernel="dot")
    d = r.to_dict()
    assert list(d)[:len(COMMON_FIELDS)] == list(COMMON_FIELDS)
    assert d["energy_per_mac_fj"] == 0.25 and d["kernel"] == "dot" and "extra" not in d
    assert r.energy_per_mac_fj == 0.25
    with pytest.raises(AttributeError, match="has no field 'tops_per_w'"):
        r.tops_per_w  # noqa: B018
    back = EnergyRecord.from_dict(json.loads(json.dumps(d)))
    assert back == r


def test_record_of_another_format_is_refused():
    d = _record().to_dict()
    del d["voltage_v"], d["sim"]
    with pytest.raises(TypeError, match="not an energy record: sim, voltage_v missing"):
        EnergyRecord.from_dict(d)


def test_fj_rounds_per_unit():
    assert fj(3e-15, 2) == 1.5
    assert fj(1e-21, 1) == 1e-06
