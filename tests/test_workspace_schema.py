"""The workspace template names a JSON Schema that exists and that the template satisfies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.dsl import yamlfile


def test_init_writes_the_schema_the_config_names(tmp_path: Path) -> None:
    ws = tmp_path / "shop"
    assert CliRunner().invoke(main, ["init", str(ws), "--no-samples"]).exit_code == 0
    config = (ws / "orderhub.yaml").read_text(encoding="utf-8")
    named = re.search(r"\$schema=(\S+)", config)
    assert named and not named.group(1).startswith("http"), config[:300]
    schema_file = (ws / named.group(1)).resolve()
    assert schema_file.is_file()
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validate(yamlfile.parse(config, "orderhub.yaml"), schema)
    printed = CliRunner().invoke(main, ["schema", "workspace"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == schema
    bad = {"timezone": "Asia/Shanghai", "warehouse": []}  # a typo the editor should flag
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
