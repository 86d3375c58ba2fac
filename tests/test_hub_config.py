"""instructors/hub/config.yaml: keys the Zero to JupyterHub chart has, sizes that fit the measured need.

The chart rejects unknown keys (its values.schema.yaml says additionalProperties: false almost
everywhere), so a misspelt key would stop `helm upgrade`. The key paths below were read from the
chart's values.schema.yaml and its documentation (customizing/user-environment.md: JupyterLab by
default; user-resources.md: guarantees and limits; user-management.md: culling) at CHART_VERSION.
Units: KubeSpawner reads memory with K, M, G, T suffixes in powers of 1024.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from gradflow_course.sizing import mebibytes, per_learner

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "instructors" / "hub" / "config.yaml"
SIZING = ROOT / "instructors" / "sizing.json"

CHART_VERSION = "4.4.0"
# Key paths that exist in the chart's schema at CHART_VERSION. "*" stands for a name of your choice.
SCHEMA_KEYS = {
    "singleuser.image.name", "singleuser.image.tag", "singleuser.image.pullPolicy",
    "singleuser.defaultUrl",
    "singleuser.memory.guarantee", "singleuser.memory.limit",
    "singleuser.cpu.guarantee", "singleuser.cpu.limit",
    "singleuser.extraFiles.*.mountPath", "singleuser.extraFiles.*.mode",
    "cull.enabled", "cull.timeout", "cull.every", "cull.users", "cull.maxAge", "cull.concurrency",
}
# Keys whose content the schema leaves open (any environment variable; the file's own content).
OPEN_KEYS = {"singleuser.extraEnv", "singleuser.extraFiles.*.data"}
# What the issue asks the example to set: the image, JupyterLab, guarantees and limits, culling.
REQUIRED = {
    "singleuser.image.name", "singleuser.image.tag", "singleuser.defaultUrl", "singleuser.extraEnv",
    "singleuser.memory.guarantee", "singleuser.memory.limit", "singleuser.cpu.guarantee", "singleuser.cpu.limit",
    "cull.enabled", "cull.timeout",
}


def _config() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def key_paths(tree: dict, prefix: str = "") -> set[str]:
    """Every key path set in a Helm values tree, with names under extraFiles written as '*'."""
    paths = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        pattern = f"{prefix}*" if prefix.endswith("extraFiles.") else path
        if pattern in OPEN_KEYS or not isinstance(value, dict):
            paths.add(pattern)
        else:
            paths |= key_paths(value, pattern + ".")
    return paths


def unknown_keys(tree: dict) -> set[str]:
    return key_paths(tree) - SCHEMA_KEYS - OPEN_KEYS


def _need() -> dict:
    return per_learner(json.loads(SIZING.read_text()))


def test_every_key_is_one_the_chart_has():
    assert unknown_keys(_config()) == set(), f"not keys of the jupyterhub chart {CHART_VERSION}"


def test_the_key_check_rejects_a_misspelt_key():
    config = _config()
    config["singleuser"]["memory"]["guarante"] = config["singleuser"]["memory"].pop("guarantee")
    config["singleuser"]["defaultURL"] = "/lab"
    assert unknown_keys(config) == {"singleuser.memory.guarante", "singleuser.defaultURL"}


def test_it_sets_what_a_workshop_needs():
    assert REQUIRED <= key_paths(_config())


def test_the_image_is_the_course_image_and_jupyterlab_is_the_default():
    single = _config()["singleuser"]
    assert "gradflow" in single["image"]["name"], "the single-user image is the one built from this repository"
    assert isinstance(single["image"]["tag"], str), "quote the tag: YAML would read 2026.11 as a number"
    assert single["defaultUrl"] == "/lab"
    assert single["extraEnv"]["JUPYTERHUB_SINGLEUSER_APP"] == "jupyter_server.serverapp.ServerApp"


def test_idle_servers_and_kernels_are_culled():
    config = _config()
    assert config["cull"]["enabled"] is True and config["cull"]["timeout"] > 0
    kernels = [f["data"]["MappingKernelManager"] for f in config["singleuser"]["extraFiles"].values()
               if "MappingKernelManager" in f.get("data", {})]
    assert kernels and kernels[0]["cull_idle_timeout"] > 0


def test_memory_guarantee_covers_one_learner_as_measured():
    memory = _config()["singleuser"]["memory"]
    need = _need()["memory_mib"]
    assert mebibytes(memory["guarantee"]) >= need, (
        f"the memory guarantee {memory['guarantee']} is below the measured {need} MiB per learner "
        "(instructors/sizing.json): raise it")


def test_memory_limit_is_above_the_guarantee_and_holds_a_second_kernel():
    memory = _config()["singleuser"]["memory"]
    assert mebibytes(memory["limit"]) >= mebibytes(memory["guarantee"])
    assert mebibytes(memory["limit"]) >= _need()["memory_two_kernels_mib"]


def test_cpu_guarantee_and_limit_fit_the_measured_run_all():
    cpu = _config()["singleuser"]["cpu"]
    assert cpu["guarantee"] >= _need()["cpu"], "the heaviest Run All would take longer than the target"
    assert cpu["limit"] >= cpu["guarantee"]
    assert cpu["limit"] >= 1, "a Run All needs one core to take its measured CPU seconds"
    threads = int(_config()["singleuser"]["extraEnv"]["OMP_NUM_THREADS"])
    assert 1 <= threads <= math.ceil(cpu["limit"]), "more torch threads than the CPU limit only fight"


@pytest.mark.parametrize("value, mib", [("512M", 512), ("1G", 1024), ("1.5G", 1536), (1024**2, 1)])
def test_memory_units_are_read_as_kubespawner_reads_them(value, mib):
    assert mebibytes(value) == mib


@pytest.mark.parametrize("value", ["512Mi", "1GB", "", "lots"])
def test_memory_units_kubespawner_would_refuse_are_refused(value):
    with pytest.raises(ValueError):
        mebibytes(value)
