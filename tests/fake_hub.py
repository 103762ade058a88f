"""A small, in-memory fake of the Hugging Face Hub HTTP API for offline tests.

Why: the project pushes datasets (and later models) to the Hub and loads them back with
``datasets.load_dataset`` / ``huggingface_hub.snapshot_download``. Tests must run without
internet, so this module serves the subset of the Hub API those clients use on 127.0.0.1:

* ``POST /api/repos/create``, ``DELETE /api/repos/delete``, ``GET /api/whoami-v2``,
  ``POST /api/validate-yaml``
* ``GET  /api/{models,datasets,spaces}/{repo_id}[/revision/{rev}]``  (repo info + siblings)
* ``GET  /api/{type}s/{repo_id}/tree/{rev}[/{path}]``                 (``?recursive=``, ``?expand=``)
* ``POST /api/{type}s/{repo_id}/paths-info/{rev}``                   (form or JSON body)
* ``POST /api/{type}s/{repo_id}/preupload/{rev}``                    (always ``"regular"`` mode)
* ``POST /api/{type}s/{repo_id}/commit/{rev}``                       (NDJSON, base64 files, deletions)
* ``GET  /api/{type}s/{repo_id}/commits/{rev}``, ``GET /api/{type}s/{repo_id}/refs``
* ``GET|HEAD /[datasets/|spaces/]{repo_id}/resolve/{rev}/{path}``    (ETag, X-Repo-Commit, Range)

Files are always committed as plain git blobs: preupload answers "regular" for every file, so no
LFS / Xet storage is needed (the Xet-enabled upload pipeline copes with that too; :func:`hub_env`
still sets ``HF_HUB_DISABLE_XET=1`` so nothing ever tries a Xet transfer).

``huggingface_hub`` and ``datasets`` read ``HF_ENDPOINT`` / ``HF_HUB_OFFLINE`` when they are imported,
so client code is meant to run in a subprocess started by :func:`run_with_hub`, whose environment
points every cache into a temporary directory and installs a network guard that refuses to resolve
any host other than loopback.

The server needs only the standard library plus PyYAML (to validate/serve README front matter).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

logger = logging.getLogger(__name__)

__all__ = [
    "FakeHub",
    "fake_hub",
    "hub_env",
    "run_with_hub",
    "read_blocked_hosts",
    "FAKE_USER",
]

#: Name returned by ``whoami`` and used as namespace when ``create_repo`` gets a bare name.
FAKE_USER = "fake-user"

_REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
#: URL prefix of a repo type in web/resolve URLs (models have none).
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
#: Path segments that follow the repo id in ``/api/{type}s/...`` routes. Used to tell a
#: single-segment repo id (``gpt2/tree/main``) from a namespaced one (``org/name/tree/main``).
_REPO_ACTIONS = {"revision", "tree", "paths-info", "preupload", "commit", "commits", "refs"}
_GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"


def _git_blob_oid(data: bytes) -> str:
    """Git blob sha1: what the Hub reports as ``oid``/``blobId`` and what the client compares to."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    """Timestamp in the Hub's format (``parse_datetime`` expects a trailing ``Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --------------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Blob:
    """Immutable file content, shared between the snapshots of successive commits."""

    data: bytes
    oid: str
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> _Blob:
        return cls(data=data, oid=_git_blob_oid(data), sha256=hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class _Commit:
    """A full snapshot of the repo (path -> blob); cheap because blobs are shared."""

    sha: str
    parent: str | None
    title: str
    message: str
    date: str
    files: Mapping[str, _Blob]


@dataclass
class _Repo:
    repo_type: str
    repo_id: str
    private: bool
    created_at: str
    commits: dict[str, _Commit] = field(default_factory=dict)
    #: ref name ("main", "refs/pr/1", ...) -> commit sha
    refs: dict[str, str] = field(default_factory=dict)
    next_pr: int = 1

    def resolve(self, revision: str) -> _Commit | None:
        """Map a branch name, full ref (``refs/heads/main``) or commit sha to a commit."""
        if revision.startswith("refs/heads/"):
            revision = revision[len("refs/heads/") :]
        sha = self.refs.get(revision, revision)
        return self.commits.get(sha)

    def history(self, commit: _Commit) -> list[_Commit]:
        """Commits reachable from ``commit``, newest first (like ``/commits``)."""
        out = [commit]
        while out[-1].parent is not None:
            out.append(self.commits[out[-1].parent])
        return out


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


@dataclass
class _Request:
    method: str
    raw_path: str  # still percent-encoded: needed because revisions and tree paths are quoted with safe=""
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in {"1", "true", "yes"}

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class _Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> _Response:
    return _Response(
        status=status,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def _error(status: int, message: str, code: str | None = None) -> _Response:
    """JSON error; ``X-Error-Code`` is what ``hf_raise_for_status`` maps to typed exceptions
    (RepoNotFound -> RepositoryNotFoundError, RevisionNotFound, EntryNotFound, ...)."""
    headers = {"X-Error-Message": message}
    if code is not None:
        headers["X-Error-Code"] = code
    return _json_response({"error": message}, status=status, headers=headers)


class _Handler(BaseHTTPRequestHandler):
    """Thin adapter from ``http.server`` to :meth:`FakeHub.handle` (all logic lives there)."""

    # HTTP/1.1 so that httpx can keep connections alive (every response carries Content-Length).
    protocol_version = "HTTP/1.1"
    server: _HubHTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        request = _Request(
            method=self.command,
            raw_path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        response = self.server.hub.handle(request)
        self.send_response(response.status)
        headers = {"Content-Length": str(len(response.body)), **response.headers}
        for name, value in headers.items():
            # Header values must be one latin-1 line (error messages may hold paths or tracebacks).
            line = " | ".join(value.splitlines())[:1000]
            self.send_header(name, line.encode("ascii", "backslashreplace").decode("ascii"))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from base class
        # Keep pytest output clean; the FakeHub keeps its own request log.
        logger.debug("fake hub: " + format, *args)


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hub: FakeHub) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hub = hub


# --------------------------------------------------------------------------------------------------
# The fake Hub
# --------------------------------------------------------------------------------------------------


class FakeHub:
    """In-memory Hub served over HTTP on 127.0.0.1 with an OS-chosen port.

    Use as a context manager (or call :meth:`start` / :meth:`stop`)::

        with FakeHub() as hub:
            run_with_hub("from huggingface_hub import HfApi; ...", hub.endpoint, tmp_path)

    Attributes:
        endpoint: base URL to use as ``HF_ENDPOINT`` (``http://127.0.0.1:PORT``), set once started.
        requests: ``(method, path)`` of every request received, in order, for debugging.
        unhandled: ``(method, path)`` of requests that matched no route (answered 404).
    """

    def __init__(self) -> None:
        self.endpoint: str = ""
        self.requests: list[tuple[str, str]] = []
        self.unhandled: list[tuple[str, str]] = []
        self._repos: dict[tuple[str, str], _Repo] = {}
        self._lock = threading.RLock()
        self._counter = itertools.count()
        self._server: _HubHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeHub:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._server = _HubHTTPServer(self)
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-hub", daemon=True
        )  # short poll interval: stop() returns quickly
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- inspection helpers for tests --------------------------------------------------------------

    def repo_exists(self, repo_id: str, repo_type: str = "model") -> bool:
        with self._lock:
            return (repo_type, repo_id) in self._repos

    def repo_files(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> dict[str, bytes]:
        """Content of every file of ``repo_id`` at ``revision`` (raises ``KeyError`` if unknown)."""
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            commit = repo.resolve(revision)
            if commit is None:
                raise KeyError(revision)
            return {path: blob.data for path, blob in commit.files.items()}

    def commit_shas(self, repo_id: str, repo_type: str = "model", revision: str = "main") -> list[str]:
        """Shas of the history of ``revision``, newest first."""
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            commit = repo.resolve(revision)
            if commit is None:
                raise KeyError(revision)
            return [c.sha for c in repo.history(commit)]

    # -- request handling --------------------------------------------------------------------------

    def handle(self, request: _Request) -> _Response:
        """Route one request; never raises (500 with the traceback in the body instead)."""
        self.requests.append((request.method, request.raw_path))
        try:
            with self._lock:
                response = self._route(request)
        except Exception as exc:  # a bug in the fake: make it visible in the client's error message
            logger.exception("fake hub: error while handling %s %s", request.method, request.raw_path)
            return _error(500, f"FakeHub internal error: {exc!r}\n{traceback.format_exc()}")
        if response is None:
            self.unhandled.append((request.method, request.raw_path))
            logger.warning("fake hub: no route for %s %s", request.method, request.raw_path)
            return _error(404, f"FakeHub: no route for {request.method} {request.raw_path}")
        return response

    def _route(self, req: _Request) -> _Response | None:
        segments = [s for s in req.raw_path.split("/") if s]
        if not segments:
            return None
        if segments[0] == "api":
            return self._route_api(req, segments[1:])
        return self._route_resolve(req, segments)

    def _route_api(self, req: _Request, segs: list[str]) -> _Response | None:
        simple: dict[tuple[str, str], Callable[[_Request], _Response]] = {
            ("GET", "whoami-v2"): self._whoami,
            ("POST", "validate-yaml"): self._validate_yaml,
            ("POST", "repos/create"): self._create_repo,
            ("DELETE", "repos/delete"): self._delete_repo,
        }
        if (req.method, "/".join(segs)) in simple:
            return simple[(req.method, "/".join(segs))](req)
        if len(segs) < 2 or segs[0] not in _REPO_TYPES:
            return None

        repo_type = _REPO_TYPES[segs[0]]
        rest = segs[1:]
        if len(rest) >= 2 and rest[1] in _REPO_ACTIONS:
            repo_id, action_segs = unquote(rest[0]), rest[1:]
        else:
            repo_id, action_segs = "/".join(unquote(s) for s in rest[:2]), rest[2:]
        action = action_segs[0] if action_segs else ""
        args = action_segs[1:]

        routes: dict[tuple[str, str], Callable[[_Request, _Repo, list[str]], _Response]] = {
            ("GET", ""): self._repo_info,
            ("GET", "revision"): self._repo_info,
            ("GET", "tree"): self._tree,
            ("POST", "paths-info"): self._paths_info,
            ("POST", "preupload"): self._preupload,
            ("POST", "commit"): self._commit,
            ("GET", "commits"): self._list_commits,
            ("GET", "refs"): self._list_refs,
        }
        handler = routes.get((req.method, action))
        if handler is None:
            return None
        repo = self._repos.get((repo_type, repo_id))
        if repo is None:
            return _error(404, f"Repository Not Found: {repo_type} {repo_id}", "RepoNotFound")
        return handler(req, repo, args)

    def _route_resolve(self, req: _Request, segs: list[str]) -> _Response | None:
        """``/[datasets/|spaces/]{repo_id}/resolve/{revision}/{path}`` (GET and HEAD)."""
        repo_type = "model"
        if segs[0] in ("datasets", "spaces"):
            repo_type, segs = _REPO_TYPES[segs[0]], segs[1:]
        if req.method not in ("GET", "HEAD") or "resolve" not in segs[1:3]:
            return None
        index = segs.index("resolve", 1)
        repo_id = "/".join(unquote(s) for s in segs[:index])
        revision, path = _split_revision(segs[index + 1 :])
        repo = self._repos.get((repo_type, repo_id))
        if repo is None:
            return _error(404, f"Repository Not Found: {repo_type} {repo_id}", "RepoNotFound")
        commit = repo.resolve(revision)
        if commit is None:
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        blob = commit.files.get(path)
        if blob is None:
            return _error(404, "Entry not found", "EntryNotFound")
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": f'"{blob.oid}"',
            "X-Repo-Commit": commit.sha,
            "Accept-Ranges": "bytes",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
        }
        range_header = req.headers.get("range")
        if req.method == "GET" and range_header:
            return _range_response(blob.data, range_header, headers)
        return _Response(200, blob.data, headers)

    # -- /api/* without a repo ---------------------------------------------------------------------

    def _whoami(self, req: _Request) -> _Response:
        return _json_response(
            {
                "type": "user",
                "id": "0" * 24,
                "name": FAKE_USER,
                "fullname": "Fake User",
                "orgs": [],
                "auth": {"type": "access_token", "accessToken": {"displayName": "fake", "role": "write"}},
            }
        )

    def _validate_yaml(self, req: _Request) -> _Response:
        """Reject a README whose YAML front matter does not parse (like the Hub), accept anything else."""
        import yaml  # PyYAML is a dependency of huggingface_hub and datasets

        front_matter = _front_matter((req.json() or {}).get("content", ""))
        if front_matter is not None:
            try:
                yaml.safe_load(front_matter)
            except yaml.YAMLError as exc:
                return _json_response({"errors": [{"message": str(exc)}], "warnings": []}, status=400)
        return _json_response({"errors": [], "warnings": []})

    def _create_repo(self, req: _Request) -> _Response:
        payload = req.json() or {}
        repo_type = payload.get("type") or "model"
        if repo_type not in _URL_PREFIX:
            return _error(400, f"Unsupported repo type for FakeHub: {repo_type}")
        repo_id = f"{payload.get('organization') or FAKE_USER}/{payload['name']}"
        url = f"{self.endpoint}/{_URL_PREFIX[repo_type]}{repo_id}"
        if (repo_type, repo_id) in self._repos:
            return _json_response({"error": "You already created this repo", "url": url}, status=409)
        repo = _Repo(
            repo_type=repo_type,
            repo_id=repo_id,
            private=payload.get("visibility", "public") != "public" or bool(payload.get("private")),
            created_at=_now(),
        )
        # Like the Hub, a new repo starts with one commit holding a .gitattributes, so "main" exists.
        self._add_commit(repo, "main", None, "initial commit", "", {".gitattributes": _Blob.of(_GITATTRIBUTES)})
        self._repos[(repo_type, repo_id)] = repo
        return _json_response({"url": url, "name": repo_id, "id": repo_id})

    def _delete_repo(self, req: _Request) -> _Response:
        payload = req.json() or {}
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload.get('organization') or FAKE_USER}/{payload['name']}"
        if self._repos.pop((repo_type, repo_id), None) is None:
            return _error(404, f"Repository Not Found: {repo_type} {repo_id}", "RepoNotFound")
        return _json_response({})

    # -- /api/{type}s/{repo_id}/* ------------------------------------------------------------------

    def _commit_or_error(self, repo: _Repo, revision: str) -> _Commit | _Response:
        commit = repo.resolve(revision)
        if commit is None:
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    def _repo_info(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        revision, _ = _split_revision(args) if args else ("main", "")
        commit = self._commit_or_error(repo, revision)
        if isinstance(commit, _Response):
            return commit
        info: dict[str, Any] = {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.sha,
            "createdAt": repo.created_at,
            "lastModified": commit.date,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": [
                {"rfilename": path, "size": len(blob.data), "blobId": blob.oid}
                for path, blob in sorted(commit.files.items())
            ],
            "usedStorage": sum(len(blob.data) for blob in commit.files.values()),
        }
        if repo.repo_type == "model":
            info["modelId"] = repo.repo_id
        readme = commit.files.get("README.md")
        card_data = _card_data(readme.data) if readme is not None else None
        if card_data is not None:
            info["cardData"] = card_data
        return _json_response(info)

    def _tree(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        """List a folder; with ``recursive`` the Hub also lists the sub-folders themselves."""
        revision, path = _split_revision(args)
        commit = self._commit_or_error(repo, revision)
        if isinstance(commit, _Response):
            return commit
        path = path.strip("/")
        files, folders = _entries_under(commit, path)
        if path and not files and not folders:
            return _error(404, f"Entry not found: {path}", "EntryNotFound")
        recursive = req.flag("recursive")
        depth = path.count("/") + 1 if path else 0
        expand = req.flag("expand")
        entries = [
            self._path_info(repo, commit, p, expand)
            for p in sorted(folders | set(files))
            if recursive or p.count("/") == depth
        ]
        return _json_response(entries)

    def _paths_info(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        revision, _ = _split_revision(args)
        commit = self._commit_or_error(repo, revision)
        if isinstance(commit, _Response):
            return commit
        if req.headers.get("content-type", "").startswith("application/json"):
            payload = req.json() or {}
            paths, expand = payload.get("paths", []), bool(payload.get("expand"))
        else:
            form = parse_qs(req.body.decode(), keep_blank_values=True)
            paths, expand = form.get("paths", []), form.get("expand", ["false"])[-1].lower() in {"1", "true"}
        if isinstance(paths, str):
            paths = [paths]
        out = []
        for path in paths:
            path = path.strip("/")
            files, folders = _entries_under(commit, path)
            if path in commit.files or files or folders:
                out.append(self._path_info(repo, commit, path, expand))
        return _json_response(out)

    def _path_info(self, repo: _Repo, commit: _Commit, path: str, expand: bool) -> dict[str, Any]:
        """One tree / paths-info entry (file if ``path`` is a file, directory otherwise)."""
        blob = commit.files.get(path)
        if blob is not None:
            entry: dict[str, Any] = {"type": "file", "oid": blob.oid, "size": len(blob.data), "path": path}
        else:
            tree_oid = hashlib.sha1(f"tree {commit.sha} {path}".encode()).hexdigest()
            entry = {"type": "directory", "oid": tree_oid, "size": 0, "path": path}
        if expand:
            last = _last_commit_touching(repo, commit, path)
            entry["lastCommit"] = {"id": last.sha, "title": last.title, "date": last.date}
        return entry

    def _preupload(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        """Answer "regular" for every file so the client inlines contents in the commit (no LFS/Xet)."""
        revision, _ = _split_revision(args)
        commit = repo.resolve(revision)
        if commit is None and not req.flag("create_pr"):
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        files = (req.json() or {}).get("files", [])
        existing = commit.files if commit is not None else {}
        return _json_response(
            {
                "files": [
                    {
                        "path": f["path"],
                        "uploadMode": "regular",
                        "shouldIgnore": False,
                        # Same oid => the client skips the unchanged file (no-op commit detection).
                        "oid": existing[f["path"]].oid if f["path"] in existing else None,
                    }
                    for f in files
                ],
                "commitOid": commit.sha if commit is not None else None,
            }
        )

    def _commit(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        """NDJSON commit: a ``header`` line, then ``file`` / ``lfsFile`` / ``deletedFile`` /
        ``deletedFolder`` lines. ``?create_pr=1`` commits onto a new ``refs/pr/N``."""
        revision, _ = _split_revision(args)
        base = repo.resolve(revision)
        if base is None:
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        lines = [json.loads(line) for line in req.body.decode().splitlines() if line.strip()]
        header = next((line["value"] for line in lines if line.get("key") == "header"), {})
        parent_commit = header.get("parentCommit")
        if parent_commit is not None and parent_commit != base.sha:
            return _error(412, f"A commit has happened since. Parent commit {parent_commit} is not {base.sha}.")

        files = dict(base.files)
        known_lfs = {
            blob.sha256: blob for r in self._repos.values() for c in r.commits.values() for blob in c.files.values()
        }
        for line in lines:
            key, value = line.get("key"), line.get("value", {})
            if key == "header":
                continue
            path = value.get("path", "").strip("/")
            if key == "file":
                content = value.get("content", "")
                data = base64.b64decode(content) if value.get("encoding") == "base64" else content.encode()
                files[path] = _Blob.of(data)
            elif key == "lfsFile":
                # Only possible when copying an already-stored file: FakeHub never asks for LFS uploads.
                blob = known_lfs.get(value.get("oid", ""))
                if blob is None:
                    return _error(400, f"FakeHub does not support LFS uploads (path {path!r})")
                files[path] = blob
            elif key == "deletedFile":
                if path not in files:
                    return _error(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                del files[path]
            elif key == "deletedFolder":
                doomed = [p for p in files if p.startswith(path + "/")]
                if not doomed:
                    return _error(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                for p in doomed:
                    del files[p]
            else:
                return _error(400, f"FakeHub: unknown commit operation {key!r}")

        target, pr_url = revision, None
        if req.flag("create_pr"):
            number, repo.next_pr = repo.next_pr, repo.next_pr + 1
            target = f"refs/pr/{number}"
            pr_url = f"{self.endpoint}/{_URL_PREFIX[repo.repo_type]}{repo.repo_id}/discussions/{number}"
        elif revision not in repo.refs:
            return _error(400, f"FakeHub: can only commit to a branch, got {revision!r}")
        commit = self._add_commit(
            repo, target, base.sha, header.get("summary") or "commit", header.get("description") or "", files
        )
        return _json_response(
            {
                "success": True,
                "commitOid": commit.sha,
                "commitUrl": f"{self.endpoint}/{_URL_PREFIX[repo.repo_type]}{repo.repo_id}/commit/{commit.sha}",
                "pullRequestUrl": pr_url,
            }
        )

    def _list_commits(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        revision, _ = _split_revision(args)
        commit = self._commit_or_error(repo, revision)
        if isinstance(commit, _Response):
            return commit
        return _json_response(
            [
                {
                    "id": c.sha,
                    "title": c.title,
                    "message": c.message,
                    "date": c.date,
                    "authors": [{"user": FAKE_USER}],
                }
                for c in repo.history(commit)
            ]
        )

    def _list_refs(self, req: _Request, repo: _Repo, args: list[str]) -> _Response:
        def ref(name: str, sha: str) -> dict[str, str]:
            full = name if name.startswith("refs/") else f"refs/heads/{name}"
            return {"name": name, "ref": full, "targetCommit": sha}

        branches = [ref(n, s) for n, s in repo.refs.items() if not n.startswith("refs/")]
        prs = [ref(n, s) for n, s in repo.refs.items() if n.startswith("refs/pr/")]
        payload: dict[str, Any] = {"branches": branches, "converts": [], "tags": []}
        if req.flag("include_prs"):
            payload["pullRequests"] = prs
        return _json_response(payload)

    # -- mutations ---------------------------------------------------------------------------------

    def _add_commit(
        self, repo: _Repo, ref: str, parent: str | None, title: str, message: str, files: Mapping[str, _Blob]
    ) -> _Commit:
        """Record a commit with a fresh fake sha and move ``ref`` to it."""
        snapshot = sorted((path, blob.oid) for path, blob in files.items())
        seed = json.dumps([repo.repo_type, repo.repo_id, parent, title, next(self._counter), snapshot])
        sha = hashlib.sha1(seed.encode()).hexdigest()
        commit = _Commit(sha=sha, parent=parent, title=title, message=message, date=_now(), files=dict(files))
        repo.commits[sha] = commit
        repo.refs[ref] = sha
        return commit


# --------------------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------------------


def _split_revision(segments: list[str]) -> tuple[str, str]:
    """Split raw URL segments into ``(revision, path)``.

    Clients quote the revision with ``safe=""`` (``refs%2Fpr%2F1``), but tolerate unquoted
    ``refs/<kind>/<name>`` too. The path may be quoted as one segment or several.
    """
    if not segments:
        return "main", ""
    first = unquote(segments[0])
    if first == "refs" and len(segments) >= 3:
        revision = "/".join(unquote(s) for s in segments[:3])
        rest = segments[3:]
    else:
        revision, rest = first, segments[1:]
    return revision, "/".join(unquote(s) for s in rest)


def _entries_under(commit: _Commit, path: str) -> tuple[dict[str, _Blob], set[str]]:
    """Files strictly below folder ``path`` ("" = root) and every folder implied by them."""
    prefix = f"{path}/" if path else ""
    files = {p: b for p, b in commit.files.items() if p.startswith(prefix)}
    folders = set()
    for p in files:
        parts = p.split("/")[:-1]
        for i in range(len(parts)):
            folder = "/".join(parts[: i + 1])
            if folder.startswith(prefix):
                folders.add(folder)
    return files, folders


def _last_commit_touching(repo: _Repo, commit: _Commit, path: str) -> _Commit:
    """Newest commit in the history of ``commit`` that changed ``path`` (file or folder)."""

    def view(c: _Commit) -> dict[str, str]:
        return {p: b.oid for p, b in c.files.items() if p == path or p.startswith(path + "/")}

    history = repo.history(commit)
    for newer, older in zip(history, history[1:]):
        if view(newer) != view(older):
            return newer
    return history[-1]


def _range_response(data: bytes, range_header: str, headers: Mapping[str, str]) -> _Response:
    """Single-range ``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` support (206 / 416)."""
    size = len(data)
    try:
        unit, _, spec = range_header.partition("=")
        if unit.strip() != "bytes" or "," in spec:
            raise ValueError(range_header)
        start_s, _, end_s = spec.strip().partition("-")
        if start_s:
            start, end = int(start_s), int(end_s) if end_s else size - 1
        else:
            start, end = max(size - int(end_s), 0), size - 1
    except ValueError:
        return _Response(200, data, dict(headers))  # unparsable range: ignore it, like many servers
    end = min(end, size - 1)
    if start >= size or start > end:
        return _Response(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
    return _Response(206, data[start : end + 1], {**headers, "Content-Range": f"bytes {start}-{end}/{size}"})


def _front_matter(text: str) -> str | None:
    """YAML block between the leading ``---`` lines of a README, if any."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:i])
    return None


def _card_data(readme: bytes) -> dict[str, Any] | None:
    """Parsed README metadata, served as ``cardData`` like the Hub does (None if absent/invalid)."""
    front_matter = _front_matter(readme.decode("utf-8", errors="replace"))
    if front_matter is None:
        return None
    try:
        import yaml

        data = yaml.safe_load(front_matter)
    except Exception:
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------------------------------
# Running client code against the fake Hub
# --------------------------------------------------------------------------------------------------

#: Installed as ``sitecustomize`` in client subprocesses: any DNS lookup of a non-loopback host fails
#: immediately (and is logged), so nothing can leave the machine. ``datasets`` always probes
#: ``datasets-server.<endpoint host>`` for a parquet export; that probe fails here and is ignored by it.
_NETWORK_GUARD = textwrap.dedent(
    '''
    """Network guard written by tests/fake_hub.py: only loopback hosts may be resolved."""
    import ipaddress
    import os
    import socket

    _real_getaddrinfo = socket.getaddrinfo
    _log = os.environ.get("FAKE_HUB_BLOCKED_LOG")


    def _is_loopback(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode()
        if host.lower() == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False


    def _guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            if _log:
                with open(_log, "a", encoding="utf-8") as f:
                    f.write(f"{host}\\n")
            raise socket.gaierror(socket.EAI_NONAME, f"fake_hub network guard: refused to resolve {host!r}")
        return _real_getaddrinfo(host, *args, **kwargs)


    socket.getaddrinfo = _guarded_getaddrinfo
    '''
)

#: Environment variables that could send traffic elsewhere or point caches outside the sandbox.
_SCRUBBED_ENV = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
    "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ASSETS_CACHE", "HF_XET_CACHE", "HF_TOKEN_PATH",
    "HF_STORED_TOKENS_PATH", "HUGGING_FACE_HUB_TOKEN", "HF_DATASETS_DOWNLOADED_DATASETS_PATH",
    "HF_DATASETS_EXTRACTED_DATASETS_PATH", "TRANSFORMERS_CACHE",
)  # fmt: skip


def _guard_dir(base: Path) -> Path:
    guard_dir = base / "_fake_hub_site"
    guard_dir.mkdir(parents=True, exist_ok=True)
    (guard_dir / "sitecustomize.py").write_text(_NETWORK_GUARD, encoding="utf-8")
    return guard_dir


def hub_env(endpoint: str, base: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for a client process talking to the fake Hub at ``endpoint``.

    Everything lives under ``base`` (HF_HOME, caches, network guard). Why each variable matters:
    ``HF_ENDPOINT`` is read at import time by huggingface_hub *and* datasets; ``HF_HUB_OFFLINE=0``
    (+ ``HF_DATASETS_OFFLINE``/``TRANSFORMERS_OFFLINE``) overrides the test suite's global offline
    mode; ``HF_HUB_DISABLE_XET=1`` keeps uploads/downloads on plain HTTP; ``HF_UPDATE_DOWNLOAD_COUNTS=0``
    stops datasets from pinging S3; telemetry is disabled; proxies are dropped and ``NO_PROXY`` covers
    loopback so httpx talks to 127.0.0.1 directly. ``PYTHONPATH`` gets the network guard
    (``sitecustomize``) only: client code imports crs_hf from the installed package, as a user would (the
    repository root is not importable as crs_hf: the dataset builders install as crs_hf.dataset_scripts).
    ``extra`` overrides anything.
    """
    base = Path(base)
    hf_home = base / "hf_home"
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    python_path = [str(_guard_dir(base))]
    if os.environ.get("PYTHONPATH"):
        python_path.append(os.environ["PYTHONPATH"])
    env.update(
        {
            "HF_ENDPOINT": endpoint,
            "HF_HUB_OFFLINE": "0",
            "HF_DATASETS_OFFLINE": "0",
            "TRANSFORMERS_OFFLINE": "0",
            "HF_TOKEN": "hf_fake_token_for_tests",
            "HF_HOME": str(hf_home),
            "HF_HUB_CACHE": str(hf_home / "hub"),
            "HF_DATASETS_CACHE": str(hf_home / "datasets"),
            "HF_XET_CACHE": str(hf_home / "xet"),
            "HF_HUB_DISABLE_XET": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
            "HF_UPDATE_DOWNLOAD_COUNTS": "0",
            "DO_NOT_TRACK": "1",
            "NO_PROXY": "127.0.0.1,localhost,::1",
            "no_proxy": "127.0.0.1,localhost,::1",
            "FAKE_HUB_BLOCKED_LOG": str(base / "fake_hub_blocked_hosts.txt"),
            "PYTHONPATH": os.pathsep.join(python_path),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


_script_counter = itertools.count()


def run_with_hub(
    code: str,
    endpoint: str,
    tmp_path: Path,
    *,
    timeout: float = 180,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` in a fresh interpreter wired to the fake Hub (see :func:`hub_env`).

    A subprocess is the robust way because ``HF_ENDPOINT``/offline flags are frozen at import time
    in huggingface_hub and datasets. ``code`` is dedented and written to a file under ``tmp_path``
    (readable tracebacks); cwd is ``tmp_path``. With ``check=True`` a non-zero exit raises an
    ``AssertionError`` showing stdout/stderr. Returns the completed process (text mode).
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / f"hub_script_{os.getpid()}_{next(_script_counter)}.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=hub_env(endpoint, tmp_path, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"client code failed with exit code {proc.returncode} ({script})\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def read_blocked_hosts(tmp_path: Path) -> list[str]:
    """Hosts that client processes started with this ``tmp_path`` tried (and failed) to resolve."""
    log = Path(tmp_path) / "fake_hub_blocked_hosts.txt"
    return log.read_text(encoding="utf-8").split() if log.exists() else []


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """A running, empty :class:`FakeHub` (one per test; starting one takes milliseconds)."""
    with FakeHub() as hub:
        yield hub
