"""specs/: the trimmed official specs the contract tests read (tools/trim_specs.py, specs/SOURCES.md).

A clone alone must pass: every spec file the contract tests load is in the repository, every operation the
trimmer lists resolves there (as tests.support.contract finds it), the trimmed files hold exactly the listed
operations, and no reference points at a file or component that was trimmed away.

With SCX_FULL_SPECS_DIR set to the full copies (the layout of specs/), two more tests run: the trimmer
reproduces specs/ byte for byte, and each kept operation, with every reference resolved, is the same in the
trimmed and the full copy (so openapi-core validates it the same).
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import Marketplace
from tests.support import contract

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
FULL = os.environ.get("SCX_FULL_SPECS_DIR")


def _trimmer():
    spec = importlib.util.spec_from_file_location("trim_specs", ROOT / "tools" / "trim_specs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("trim_specs", module)
    spec.loader.exec_module(module)
    return module


T = _trimmer()
LISTED = T.listed_operations()
HTTP = set(T.HTTP_METHODS)


def _load(path: Path) -> Any:
    return T.load(path)


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, item in (document.get("paths") or {}).items() for m in item if m in HTTP}


def _split_operations(root: Path) -> set[tuple[str, str]]:
    found = set()
    for pattern, item in _load(root)["paths"].items():
        if "$ref" in item:
            item = _load(root.parent / item["$ref"])
        found |= {(m.upper(), pattern) for m in item if m in HTTP}
    return found


# ------------------------------------------------------------------------------------ files are there
def test_the_contract_tests_read_the_repositorys_copy_by_default():
    if os.environ.get("SCX_SPECS_DIR"):
        pytest.skip("SCX_SPECS_DIR points the contract tests elsewhere")
    assert contract.SPECS_DIR == SPECS


@pytest.mark.parametrize("path", [
    contract.YANDEX_SPEC,
    contract.OZON_SPEC,
    contract.SPECS_DIR / "yandex" / "notification-api" / "openapi" / "openapi.yaml",  # tests/unit/test_web.py
], ids=lambda p: p.name)
def test_each_spec_the_contract_tests_load_is_there(path):
    assert path.is_file(), f"{path} is missing: run tools/trim_specs.py (specs/SOURCES.md)"


def test_the_wildberries_yamls_are_there():
    names = {p.name for p in contract.WB_SPEC_DIR.glob("*.yaml")}
    listed = {Path(f).name for f in T.spec_files() if f.startswith(T.WB_RU)}
    assert listed and listed <= names


@pytest.mark.parametrize("file", T.spec_files())
def test_each_trimmed_file_is_there(file):
    assert (SPECS / file).is_file(), f"specs/{file} is missing: run tools/trim_specs.py"


def test_the_whole_copies_are_there():
    for folder in T.WHOLE:
        assert (SPECS / folder / "openapi.yaml").is_file()


def test_sources_say_where_each_file_comes_from():
    text = (SPECS / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("yandex/partner-api", "yandex/notification-api", T.WB_RU, T.WB_EN, T.OZON,
                 "tools/trim_specs.py", "BSD"):
        assert name.split("/", 1)[-1] in text, name
    licences = (SPECS / "LICENSES.md").read_text(encoding="utf-8")  # BSD-3: the notices travel with the files
    assert licences.count("Yandex Market LLC") == 2 and "Redistribution and use" in licences


# --------------------------------------------------------------------------------- operations resolve
def _wb_category(item: dict, document: dict, path: str) -> str:
    if path == "/ping":
        return "*"
    for server in item.get("servers") or document.get("servers") or []:
        match = contract._WB_HOST.match(server.get("url", ""))
        if match:
            return match["category"]
    raise AssertionError(f"{path}: no WB category host in its servers")


@pytest.mark.parametrize("marketplace, file, method, path", LISTED, ids=[f"{m} {p}" for _, _, m, p in LISTED])
def test_each_listed_operation_resolves_in_the_trimmed_copy(marketplace, file, method, path):
    """The path template itself is a path (`{id}` fills one segment), so it must resolve to itself."""
    if file.startswith(T.WB_EN):  # not loaded by the contract tests: present in the JSON
        document = _load(SPECS / file)
        assert method.lower() in document["paths"][path]
        return
    category = None
    if marketplace == "wildberries":
        document = _load(SPECS / file)
        category = _wb_category(document["paths"][path], document, path)
    found = contract.find_operation(Marketplace(marketplace), method, path, category)
    assert found.pattern == path
    assert found.operation.exists()


@pytest.mark.parametrize("file", T.spec_files())
def test_each_trimmed_file_holds_exactly_the_listed_operations(file):
    listed = {(m, p) for _, f, m, p in LISTED if f == file}
    held = _split_operations(SPECS / file) if file == T.YANDEX else _operations(_load(SPECS / file))
    assert held == listed


def test_the_list_names_each_operation_once():
    assert len(LISTED) == len({(f, m, p) for _, f, m, p in LISTED})


# -------------------------------------------------------------------------------- references resolve
def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for part in filter(None, pointer.split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _refs(node: Any):
    for key, value in T.walk_strings(node):
        if key == "$ref":
            yield value


@pytest.mark.parametrize("file", [f for f in T.spec_files() if f != T.YANDEX])
def test_no_reference_in_a_one_document_spec_dangles(file):
    document = _load(SPECS / file)
    for ref in set(_refs(document)):
        assert ref.startswith("#/"), ref
        _pointer(document, ref[1:])  # KeyError if trimmed away


@pytest.mark.parametrize("entry", [T.YANDEX, *(f"{w}/openapi.yaml" for w in T.WHOLE)])
def test_no_reference_in_a_split_spec_dangles(entry):
    root = (SPECS / entry).parent
    files = sorted(root.rglob("*.yaml"))
    for file in files:
        for ref in set(_refs(_load(file))):
            target, _, fragment = ref.partition("#")
            resolved = (file.parent / target) if target else file
            assert resolved.is_file(), f"{file.relative_to(SPECS)}: {ref}"
            if fragment:
                _pointer(_load(resolved), fragment)


def test_the_bundled_yandex_spec_loads():
    bundled = contract.bundle_yandex_spec(SPECS / T.YANDEX)  # the trimmed copy, whatever SCX_SPECS_DIR says
    assert set(bundled["paths"]) == {p for _, f, _, p in LISTED if f == T.YANDEX}


# ------------------------------------------------------------------------ against the full copies
needs_full = pytest.mark.skipif(not FULL, reason="set SCX_FULL_SPECS_DIR to the full spec copies")


@needs_full
def test_the_trimmer_reproduces_specs(tmp_path):
    out = tmp_path / "specs"
    T.trim(Path(FULL), out)
    T.trim(Path(FULL), out)  # twice: the same files
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    held = sorted(p.relative_to(SPECS) for folder in T.MANAGED for p in (SPECS / folder).rglob("*") if p.is_file())
    assert written == held
    assert [(out / p).read_bytes() == (SPECS / p).read_bytes() for p in written] == [True] * len(written)


def _resolved(document: Any, node: Any, stack: tuple[str, ...] = ()) -> Any:
    """`node` with every internal $ref replaced by what it names (a ref back into its own chain stays)."""
    if isinstance(node, list):
        return [_resolved(document, v, stack) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        if ref in stack:
            return {"$ref": ref}
        return _resolved(document, _pointer(document, ref[1:]), stack + (ref,))
    return {k: _resolved(document, v, stack) for k, v in node.items()}


def _document(root: Path, file: str) -> Any:
    path = root / file
    if file == T.YANDEX:
        return contract.bundle_yandex_spec(path)  # the split files as one document, refs internal
    return _load(path)


def _item(document: dict, path: str) -> dict:
    item = document["paths"][path]
    return _pointer(document, item["$ref"][1:]) if "$ref" in item else item


@needs_full
def test_each_kept_operation_is_as_in_the_full_copy():
    for file in T.spec_files():
        full, trimmed = _document(Path(FULL), file), _document(SPECS, file)
        for _, f, method, path in LISTED:
            if f != file:
                continue
            full_item, trimmed_item = (_item(d, path) for d in (full, trimmed))
            for part in ("parameters", "servers", method.lower()):
                a, b = full_item.get(part), trimmed_item.get(part)
                assert _resolved(trimmed, b) == _resolved(full, a), f"{file}: {method} {path}: {part}"
        for key in ("security", "servers", "openapi"):
            assert trimmed.get(key) == full.get(key), f"{file}: {key}"
        schemes = [(d.get("components") or {}).get("securitySchemes") for d in (trimmed, full)]
        assert schemes[0] == schemes[1], f"{file}: securitySchemes"
