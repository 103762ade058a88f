"""End-to-end checks that the fake Hub (tests/fake_hub.py) is good enough for the real clients:
create_repo + upload_folder + load_dataset + snapshot_download, all against 127.0.0.1 only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

try:  # tests/ on sys.path (rootdir-style import, no tests/__init__.py)
    from fake_hub import FakeHub, fake_hub, read_blocked_hosts, run_with_hub  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.fake_hub import FakeHub, fake_hub, read_blocked_hosts, run_with_hub  # noqa: F401

REPO_ID = "crs_hf/durecdial2"
CONFIG_ROWS: dict[str, dict[str, list[dict]]] = {
    "en-zh": {
        "train": [{"id": 0, "text": "hello", "tags": ["a", "b"]}, {"id": 1, "text": "world", "tags": []}],
        "test": [{"id": 2, "text": "bye", "tags": ["c"]}],
    },
    "zh-en": {
        "train": [{"id": 10, "text": "你好", "tags": ["x"]}],
        "validation": [{"id": 11, "text": "再见", "tags": ["y", "z"]}],
    },
}
# Hosts a client may legitimately *try* to resolve: datasets always probes the dataset-viewer
# at "datasets-server.<endpoint host>"; the network guard refuses it before any packet is sent.
ALLOWED_BLOCKED_HOSTS = {"datasets-server.127.0.0.1"}


def write_dataset_folder(root: Path) -> Path:
    """DIR/README.md with a ``configs:`` front matter + DIR/<config>/<split>-00000-of-00001.parquet."""
    yaml_lines = ["---", "configs:"]
    for config, splits in CONFIG_ROWS.items():
        yaml_lines += [f"- config_name: {config}", "  data_files:"]
        for split, rows in splits.items():
            path = f"{config}/{split}-00000-of-00001.parquet"
            yaml_lines += [f"  - split: {split}", f"    path: {path}"]
            (root / config).mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows), root / path)
    (root / "README.md").write_text("\n".join(yaml_lines + ["---", "", "# DuRecDial2 (test copy)", ""]))
    return root


def upload_code(folder: Path, repo_type: str = "dataset") -> str:
    return f"""
        from huggingface_hub import HfApi
        api = HfApi(token="fake")
        url = api.create_repo({REPO_ID!r}, repo_type={repo_type!r}, exist_ok=True)
        again = api.create_repo({REPO_ID!r}, repo_type={repo_type!r}, exist_ok=True)  # 409 -> ok
        assert url.repo_id == again.repo_id == {REPO_ID!r}, (url, again)
        info = api.upload_folder(folder_path={str(folder)!r}, repo_id={REPO_ID!r}, repo_type={repo_type!r})
        print(info.oid)
    """


@pytest.fixture(scope="module")
def uploaded_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeHub, Path]]:
    """One hub holding the dataset, uploaded through the real client (shared to keep tests fast)."""
    base = tmp_path_factory.mktemp("uploaded_hub")
    folder = write_dataset_folder(base / "dataset")
    with FakeHub() as hub:
        proc = run_with_hub(upload_code(folder), hub.endpoint, base / "upload")
        assert proc.stdout.strip() == hub.commit_shas(REPO_ID, "dataset")[0]
        yield hub, folder


def local_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_create_repo_and_upload_folder(uploaded_hub: tuple[FakeHub, Path]) -> None:
    hub, folder = uploaded_hub
    files = hub.repo_files(REPO_ID, "dataset")
    assert {k: v for k, v in files.items() if k != ".gitattributes"} == local_files(folder)
    # initial commit (created with the repo) + the upload commit
    assert len(hub.commit_shas(REPO_ID, "dataset")) == 2
    assert hub.unhandled == []


def test_load_dataset_each_config(uploaded_hub: tuple[FakeHub, Path], tmp_path: Path) -> None:
    hub, _ = uploaded_hub
    code = f"""
        import json
        import datasets
        out = {{}}
        for config in {list(CONFIG_ROWS)!r}:
            ds = datasets.load_dataset({REPO_ID!r}, config)
            out[config] = {{split: ds[split].to_list() for split in ds}}
        print(json.dumps(out))
    """
    proc = run_with_hub(code, hub.endpoint, tmp_path)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == CONFIG_ROWS
    assert hub.unhandled == []
    assert set(read_blocked_hosts(tmp_path)) <= ALLOWED_BLOCKED_HOSTS


def test_snapshot_download(uploaded_hub: tuple[FakeHub, Path], tmp_path: Path) -> None:
    hub, folder = uploaded_hub
    code = f"""
        from huggingface_hub import snapshot_download
        print(snapshot_download({REPO_ID!r}, repo_type="dataset"))
    """
    proc = run_with_hub(code, hub.endpoint, tmp_path)
    snapshot = Path(proc.stdout.strip().splitlines()[-1])
    assert snapshot.name == hub.commit_shas(REPO_ID, "dataset")[0]
    downloaded = local_files(snapshot)
    assert downloaded.pop(".gitattributes")
    assert downloaded == local_files(folder)
    assert read_blocked_hosts(tmp_path) == []


def test_commit_with_deletion_and_noop_upload(fake_hub: FakeHub, tmp_path: Path) -> None:
    folder = write_dataset_folder(tmp_path / "dataset")
    run_with_hub(upload_code(folder), fake_hub.endpoint, tmp_path)
    code = f"""
        from huggingface_hub import CommitOperationDelete, HfApi
        api = HfApi(token="fake")
        # Re-uploading identical content must be detected as a no-op through preupload's oids.
        api.upload_folder(folder_path={str(folder)!r}, repo_id={REPO_ID!r}, repo_type="dataset")
        api.create_commit(
            {REPO_ID!r},
            operations=[
                CommitOperationDelete("zh-en/"),
                CommitOperationDelete("en-zh/test-00000-of-00001.parquet"),
            ],
            commit_message="drop files",
            repo_type="dataset",
        )
        print(sorted(api.list_repo_files({REPO_ID!r}, repo_type="dataset")))
    """
    proc = run_with_hub(code, fake_hub.endpoint, tmp_path)
    expected = [".gitattributes", "README.md", "en-zh/train-00000-of-00001.parquet"]
    assert proc.stdout.strip().splitlines()[-1] == repr(expected)
    assert sorted(fake_hub.repo_files(REPO_ID, "dataset")) == expected
    assert len(fake_hub.commit_shas(REPO_ID, "dataset")) == 3  # initial, upload, deletion (no-op skipped)


def test_model_repo_roundtrip(fake_hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8}))
    (folder / "weights.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "vocab").mkdir()
    (folder / "vocab" / "词表 v1.txt").write_text("你好\n")  # non-ASCII + space: URL quoting end to end
    code = f"""
        from huggingface_hub import HfApi, hf_hub_download
        api = HfApi(token="fake")
        api.create_repo("crs_hf/tiny-model", exist_ok=True)
        api.upload_folder(folder_path={str(folder)!r}, repo_id="crs_hf/tiny-model")
        print(hf_hub_download("crs_hf/tiny-model", "vocab/词表 v1.txt"))
        print(hf_hub_download("crs_hf/tiny-model", "weights.bin"))
    """
    proc = run_with_hub(code, fake_hub.endpoint, tmp_path)
    vocab, weights = proc.stdout.strip().splitlines()[-2:]
    assert Path(weights).read_bytes() == (folder / "weights.bin").read_bytes()
    assert Path(vocab).read_text() == "你好\n"
    assert fake_hub.repo_files("crs_hf/tiny-model")["vocab/词表 v1.txt"] == "你好\n".encode()
    assert fake_hub.unhandled == []


def test_unknown_route_is_json_404(fake_hub: FakeHub) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        opener.open(f"{fake_hub.endpoint}/api/does-not-exist?x=1", timeout=5)
    assert excinfo.value.code == 404
    assert "no route for GET /api/does-not-exist" in json.loads(excinfo.value.read())["error"]
    assert fake_hub.unhandled == [("GET", "/api/does-not-exist")]


def test_missing_file_and_range_request(fake_hub: FakeHub, tmp_path: Path) -> None:
    folder = write_dataset_folder(tmp_path / "dataset")
    run_with_hub(upload_code(folder), fake_hub.endpoint, tmp_path)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"{fake_hub.endpoint}/datasets/{REPO_ID}/resolve/main/README.md"
    request = urllib.request.Request(url, headers={"Range": "bytes=0-2"})
    with opener.open(request, timeout=5) as response:
        assert response.status == 206
        assert response.read() == b"---"
        assert response.headers["X-Repo-Commit"] == fake_hub.commit_shas(REPO_ID, "dataset")[0]
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        opener.open(url.replace("README.md", "nope.txt"), timeout=5)
    assert excinfo.value.code == 404
    assert excinfo.value.headers["X-Error-Code"] == "EntryNotFound"
