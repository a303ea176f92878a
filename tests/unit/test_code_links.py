"""Code links of the assets: without git, or when git fails, the definitions load with source
references only (no repository link), never a crash."""

from __future__ import annotations

import subprocess

import dagster as dg

from orchestration import definitions


@dg.asset
def an_asset():
    return None


def links(assets) -> list[str]:
    refs = assets[0].specs_by_key[an_asset.key].metadata["dagster/code_references"].code_references
    return [type(ref).__name__ for ref in refs]


def test_no_git_means_no_repository_link(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # git is not installed
    assert definitions.git_remote() is None
    assert links(definitions.with_code_links([an_asset])) == ["LocalFileCodeReference"]


def test_git_failing_after_the_remote_means_no_repository_link(monkeypatch):
    real = subprocess.run

    def run(args, **kwargs):
        if args[:2] == ["git", "config"]:
            return subprocess.CompletedProcess(args, 0, stdout="git@github.com:org/repo.git\n", stderr="")
        if args[:2] == ["git", "rev-parse"]:
            raise subprocess.TimeoutExpired(args, 5)
        return real(args, **kwargs)

    monkeypatch.setattr(definitions.subprocess, "run", run)
    assert definitions.git_remote() == "https://github.com/org/repo"
    assert links(definitions.with_code_links([an_asset])) == ["LocalFileCodeReference"]

    def not_a_repository(args, **kwargs):
        if args[:2] == ["git", "rev-parse"]:
            return subprocess.CompletedProcess(args, 128, stdout="", stderr="fatal: not a git repository")
        return run(args, **kwargs)

    monkeypatch.setattr(definitions.subprocess, "run", not_a_repository)
    assert links(definitions.with_code_links([an_asset])) == ["LocalFileCodeReference"]
    monkeypatch.setattr(definitions.subprocess, "run", lambda args, **kw: (
        subprocess.CompletedProcess(args, 0, stdout="main\n", stderr="") if args[:2] == ["git", "rev-parse"]
        else run(args, **kw)))
    assert links(definitions.with_code_links([an_asset])) == ["UrlCodeReference"]
