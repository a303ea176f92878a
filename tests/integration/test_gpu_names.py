"""Real GPU names, as nvidia-smi / NVML and rocm-smi print them, through the dbt logic and the real seed.

``int_gpu_names`` is compiled by dbt (its macros: normalize_gpu_name, gpu_vendor_from_name, the
portability shims) and run in DuckDB against ``seeds/gpu_models.csv`` as committed: the test checks the
rules and the seed together, which a dbt unit test with a hand-written seed fixture cannot.
"""

from __future__ import annotations

import json

from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"

# name as printed -> (vendor, model, generation, segment, known to the seed)
REAL_NAMES = {
    # form factors and memory sizes of one chip
    "Tesla V100-SXM2-16GB": ("NVIDIA", "V100", "Volta", "data centre", True),
    "Tesla V100-DGXS-32GB": ("NVIDIA", "V100", "Volta", "data centre", True),
    "Tesla V100-FHHL-16GB": ("NVIDIA", "V100", "Volta", "data centre", True),
    "Tesla V100-PCIE-32GB": ("NVIDIA", "V100", "Volta", "data centre", True),
    "Tesla P100-PCIE-16GB": ("NVIDIA", "P100", "Pascal", "data centre", True),
    "NVIDIA A100-SXM4-80GB": ("NVIDIA", "A100", "Ampere", "data centre", True),
    "NVIDIA A100 80GB PCIe": ("NVIDIA", "A100", "Ampere", "data centre", True),
    "NVIDIA H100 80GB HBM3": ("NVIDIA", "H100", "Hopper", "data centre", True),
    "NVIDIA H100 PCIe": ("NVIDIA", "H100", "Hopper", "data centre", True),
    "NVIDIA H100 NVL": ("NVIDIA", "H100", "Hopper", "data centre", True),
    # virtual GPUs (vGPU profiles, GRID)
    "NVIDIA A10-24Q": ("NVIDIA", "A10", "Ampere", "data centre", True),
    "GRID T4-16Q": ("NVIDIA", "T4", "Turing", "data centre", True),
    "GRID V100-32Q": ("NVIDIA", "V100", "Volta", "data centre", True),
    "GRID V100DX-32Q": ("NVIDIA", "V100", "Volta", "data centre", True),
    "NVIDIA A100-40C": ("NVIDIA", "A100", "Ampere", "data centre", True),
    "GRID A100-1-5C": ("NVIDIA", "A100", "Ampere", "data centre", True),
    "GRID RTX6000-24Q": ("NVIDIA", "Quadro RTX 6000", "Turing", "workstation", True),
    "GRID K520": ("NVIDIA", "GRID K520", "Kepler", "data centre", True),
    # older data-centre parts
    "Tesla K20Xm": ("NVIDIA", "K20X", "Kepler", "data centre", True),
    "Tesla K20c": ("NVIDIA", "K20", "Kepler", "data centre", True),
    "Tesla K40m": ("NVIDIA", "K40", "Kepler", "data centre", True),
    "Tesla K80": ("NVIDIA", "K80", "Kepler", "data centre", True),
    "Tesla M40 24GB": ("NVIDIA", "M40", "Maxwell", "data centre", True),
    "Tesla M60": ("NVIDIA", "M60", "Maxwell", "data centre", True),
    "Tesla P4": ("NVIDIA", "P4", "Pascal", "data centre", True),
    "Tesla T4": ("NVIDIA", "T4", "Turing", "data centre", True),
    # the newest
    "NVIDIA H200": ("NVIDIA", "H200", "Hopper", "data centre", True),
    "NVIDIA GH200 480GB": ("NVIDIA", "GH200", "Hopper", "data centre", True),
    "NVIDIA B200": ("NVIDIA", "B200", "Blackwell", "data centre", True),
    "NVIDIA GB200": ("NVIDIA", "GB200", "Blackwell", "data centre", True),
    "NVIDIA L40S": ("NVIDIA", "L40S", "Ada Lovelace", "data centre", True),
    "NVIDIA L4": ("NVIDIA", "L4", "Ada Lovelace", "data centre", True),
    "NVIDIA A10G": ("NVIDIA", "A10G", "Ampere", "data centre", True),
    # workstation and consumer
    "NVIDIA RTX A6000": ("NVIDIA", "RTX A6000", "Ampere", "workstation", True),
    "NVIDIA RTX 6000 Ada Generation": ("NVIDIA", "RTX 6000 Ada Generation", "Ada Lovelace", "workstation", True),
    "Quadro RTX 8000": ("NVIDIA", "Quadro RTX 8000", "Turing", "workstation", True),
    "NVIDIA GeForce RTX 4090": ("NVIDIA", "GeForce RTX 4090", "Ada Lovelace", "consumer", True),
    "NVIDIA GeForce RTX 4090 Laptop GPU": ("NVIDIA", "GeForce RTX 4090", "Ada Lovelace", "laptop", True),
    "GeForce RTX 2070 with Max-Q Design": ("NVIDIA", "GeForce RTX 2070", "Turing", "laptop", True),
    "NVIDIA GeForce RTX 5090": ("NVIDIA", "GeForce RTX 5090", "Blackwell", "consumer", True),
    "GeForce GTX 1080 Ti": ("NVIDIA", "GeForce GTX 1080 Ti", "Pascal", "consumer", True),
    # AMD, with and without the vendor prefix (rocm-smi versions differ)
    "AMD Instinct MI300X": ("AMD", "Instinct MI300X", "CDNA 3", "data centre", True),
    "Instinct MI210": ("AMD", "Instinct MI210", "CDNA 2", "data centre", True),
    "AMD Instinct MI250X": ("AMD", "Instinct MI250X", "CDNA 2", "data centre", True),
    "Radeon RX 7900 XTX": ("AMD", "Radeon RX 7900 XTX", "RDNA 3", "consumer", True),
    "AMD Radeon RX 7900 XTX": ("AMD", "Radeon RX 7900 XTX", "RDNA 3", "consumer", True),
    "AMD Radeon Pro W7900": ("AMD", "Radeon PRO W7900", "RDNA 3", "workstation", True),
    "Apple M2 Max": ("Apple", "Apple M2 Max", "Apple M2", "apple silicon", True),
    # not in the seed: a vendor from the brand words, the model as written minus NVIDIA / Tesla
    "Tesla C2050": ("NVIDIA", "C2050", None, "unknown", False),
    "NVIDIA Tesla X9": ("NVIDIA", "X9", None, "unknown", False),
    "GRID K1": ("NVIDIA", "GRID K1", None, "unknown", False),
    "AMD Radeon RX 580": ("AMD", "AMD Radeon RX 580", None, "unknown", False),
}


@pytest.fixture(scope="module")
def compiled_model(tmp_path_factory) -> str:
    from dbt.cli.main import dbtRunner

    tmp = tmp_path_factory.mktemp("dbt_gpu")
    # The warehouse as dbt vars, as the Warehouse resource passes it (dbt_project/profiles.yml).
    dbt_vars = {"start_date": "2022-10-01", "end_date": "2023-01-01",
                "stateofml_warehouse": str(tmp / "stateofml.duckdb"),
                "stateofml_duckdb_temp_directory": str(tmp / "tmp")}
    res = dbtRunner().invoke(
        [
            "compile", "--select", "int_gpu_names", "--quiet",
            "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
            "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"),
            "--vars", json.dumps(dbt_vars),
        ]
    )
    assert res.success, res.exception
    (node,) = [r.node for r in res.result.results if r.node.resource_type == "model"]
    return node.compiled_code


def test_real_gpu_names(compiled_model):
    con = duckdb.connect()
    try:
        con.execute("attach ':memory:' as stateofml")
        con.execute("create schema stateofml.staging; create schema stateofml.reference")
        con.execute("create table stateofml.staging.stg_tracking__runs (gpu_name varchar, created_at timestamptz)")
        con.executemany(
            "insert into stateofml.staging.stg_tracking__runs values (?, timestamptz '2022-11-01 10:00:00+00')",
            [[n] for n in REAL_NAMES],
        )
        con.execute(
            "create table stateofml.reference.gpu_models as select * from read_csv(?, header = true, all_varchar = true)",
            [str(PROJECT / "seeds" / "gpu_models.csv")],
        )
        assert "stateofml" in compiled_model and "gpu_models" in compiled_model
        got = {
            row[0]: tuple(row[1:])
            for row in con.execute(
                f"select gpu_name, gpu_vendor, gpu_model, gpu_generation, gpu_segment, is_known_model "
                f"from ({compiled_model})"
            ).fetchall()
        }
    finally:
        con.close()
    wrong = {name: (got.get(name), want) for name, want in REAL_NAMES.items() if got.get(name) != want}
    assert not wrong, "\n".join(f"{n}: got {g}, want {w}" for n, (g, w) in wrong.items())
