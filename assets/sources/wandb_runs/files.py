"""Parse the JSON/YAML/text files a run folder keeps under ``files/``.

Each parser takes the file's bytes and returns a :class:`RunFacts`, or raises
:class:`FileProblem` with a reason a person can act on. Unknown keys are ignored: the client adds
keys over the years and the importer only needs the ones the contract has columns for.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from .facts import (
    RunFacts,
    as_int,
    as_str,
    code_path_candidate,
    memory_gb,
    python_version,
    summary_facts,
    timestamp,
)

# Why the C loader: config.yaml of a long-lived project can be large; fall back if libyaml is absent.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Bounds of a config.yaml: the client's are kilobytes, without aliases. An alias bomb (nine levels
# of nine aliases) is a few hundred bytes that expand to 387 M values when anything walks them.
MAX_YAML_BYTES = 16 << 20
MAX_YAML_VALUES = 1_000_000


class FileProblem(ValueError):
    pass


def _json_object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise FileProblem(f"{name}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise FileProblem(f"{name}: invalid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise FileProblem(f"{name}: invalid JSON (nested too deep)") from None
    except ValueError as e:  # Python's bound on the digits of an integer
        raise FileProblem(f"{name}: invalid JSON ({str(e).split(':')[0]})") from None
    if not isinstance(obj, dict):
        raise FileProblem(f"{name}: expected a JSON object, found {type(obj).__name__}")
    return obj


def _first(v: Any) -> dict[str, Any]:
    """The first device of a device list, or {} (tolerating a list of non-objects)."""
    return v[0] if isinstance(v, list) and v and isinstance(v[0], dict) else {}


def parse_metadata(raw: bytes) -> RunFacts:
    """``wandb-metadata.json``: the run's environment, in both the 2022 and the newer shape."""
    md = _json_object(raw, "wandb-metadata.json")
    nvidia, amd, devices = _first(md.get("gpu_nvidia")), _first(md.get("gpu_amd")), _first(md.get("gpu_devices"))
    apple = md.get("apple") if isinstance(md.get("apple"), dict) else {}
    gpu = (
        as_str(nvidia.get("name"))
        or as_str(md.get("gpu"))
        or as_str(devices.get("name"))
        or as_str(apple.get("name"))
        or as_str(amd.get("series"))  # rocm-smi's marketing name ("AMD Instinct MI250X")
    )
    gpu_count = as_int(md.get("gpu_count"))
    if gpu_count is None:
        for devs in (md.get("gpu_nvidia"), md.get("gpu_amd"), md.get("gpu_devices")):
            if isinstance(devs, list) and devs:
                gpu_count = len(devs)
                break
    cpu = md.get("cpu") if isinstance(md.get("cpu"), dict) else {}
    memory = md.get("memory") if isinstance(md.get("memory"), dict) else {}
    tpu = md.get("tpu")
    ipu = md.get("ipu") if isinstance(md.get("ipu"), dict) else {}
    code_paths = [
        p for p in (code_path_candidate(md.get("codePath")), code_path_candidate(md.get("codePathLocal"))) if p
    ]
    return RunFacts(
        started_at=timestamp(md.get("startedAt")),
        os=as_str(md.get("os")),
        python_version=python_version(md.get("python")),
        program=as_str(md.get("program")),
        host=as_str(md.get("host")),
        username=as_str(md.get("username")),
        email=as_str(md.get("email")),
        last_seen_at=timestamp(md.get("heartbeatAt")),
        cpu_count=as_int(md.get("cpu_count")) or as_int(cpu.get("count")),
        memory_total_gb=memory_gb(memory.get("total")),
        gpu=gpu,
        gpu_count=gpu_count,
        gpu_architecture=as_str(nvidia.get("architecture")),
        # 2022 clients wrote `gpuapple` (no chip name), newer ones `apple` with the name.
        gpu_apple=True if ("gpuapple" in md or apple) else None,
        tpu=(as_str(tpu.get("name")) or "") if isinstance(tpu, dict) else ("" if tpu else None),
        ipu_count=as_int(ipu.get("device_count")),
        code_paths=list(dict.fromkeys(code_paths)),
    )


def parse_summary(raw: bytes) -> RunFacts:
    """``wandb-summary.json``: runtime and the media types the run logged."""
    return summary_facts(_json_object(raw, "wandb-summary.json"))


def _numbers(v: Any) -> list[int]:
    items = v if isinstance(v, list) else []
    return sorted({n for n in (as_int(x) for x in items) if n is not None})


def safe_yaml(raw: bytes, name: str) -> Any:
    """YAML read safely: plain data only (the safe loader), at most ``MAX_YAML_BYTES``, and at
    most ``MAX_YAML_VALUES`` values once aliases are expanded (counted on the node graph, where
    an alias is shared, before anything is built); raises :class:`FileProblem` otherwise."""
    if len(raw) > MAX_YAML_BYTES:
        raise FileProblem(f"{name}: {len(raw)} bytes, more than the {MAX_YAML_BYTES} read")
    try:
        text = raw.decode("utf-8")
        root = yaml.compose(text, Loader=_YAML_LOADER)
        if root is not None and _expanded_values(root, {}) > MAX_YAML_VALUES:
            raise FileProblem(f"{name}: aliases expand to more than {MAX_YAML_VALUES} values (an alias bomb?): not read")
        return yaml.load(text, Loader=_YAML_LOADER)
    except UnicodeDecodeError as e:
        raise FileProblem(f"{name}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1} column {where.column + 1}" if where else ""
        raise FileProblem(f"{name}: invalid YAML ({getattr(e, 'problem', None) or e}{at})") from None
    except RecursionError:
        raise FileProblem(f"{name}: invalid YAML (nested too deep)") from None


def _expanded_values(node: yaml.Node, memo: dict[int, int]) -> int:
    if id(node) in memo:  # an alias: the same node again, counted as often as it is referenced
        return memo[id(node)]
    n = 1
    if isinstance(node, yaml.SequenceNode):
        n += sum(_expanded_values(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        n += sum(_expanded_values(k, memo) + _expanded_values(v, memo) for k, v in node.value)
    memo[id(node)] = n
    return n


def parse_config(raw: bytes) -> RunFacts:
    """``config.yaml``: the client's own entries under ``_wandb.value`` (telemetry key ``t``)."""
    cfg = safe_yaml(raw, "config.yaml")
    if cfg is None:
        return RunFacts()
    if not isinstance(cfg, dict):
        raise FileProblem(f"config.yaml: expected a mapping, found {type(cfg).__name__}")
    wb = cfg.get("_wandb")
    value = wb.get("value") if isinstance(wb, dict) else None
    if not isinstance(value, dict):
        return RunFacts()
    t = value.get("t") if isinstance(value.get("t"), dict) else {}
    # YAML reads `1:` as the integer 1; a re-serialised config may have "1".
    tel = {str(k): v for k, v in t.items()}
    code = code_path_candidate(value.get("code_path"), relative_to_files=True)
    return RunFacts(
        created_at=timestamp(value.get("start_time")),
        telemetry_imports=sorted(set(_numbers(tel.get("1"))) | set(_numbers(tel.get("2")))),
        telemetry_env=_numbers(tel.get("8")),
        python_version=python_version(str(tel["4"])) if "4" in tel else python_version(value.get("python_version")),
        client_version=as_str(str(tel["5"])) if "5" in tel else as_str(value.get("cli_version")),
        code_paths=[code] if code else [],
    )


def parse_requirements(raw: bytes) -> RunFacts:
    """``requirements.txt`` as ``name==version`` pairs (other pip syntax is skipped, not an error)."""
    reqs: dict[str, str] = {}
    for line in raw.decode("utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        name, sep, version = line.partition("==")
        if sep and name.strip() and not name.startswith("-"):
            reqs[name.strip()] = version.strip()
    return RunFacts(requirements=reqs)
