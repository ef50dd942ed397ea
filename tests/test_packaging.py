"""The wheel carries what gen needs at run time outside a source checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_templates_and_the_scdl_schema(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("gen_cli-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"gen_cli/templates/{p.name}" for p in (ROOT / "templates").iterdir()}
    assert templates <= names
    assert "gen_cli/data/scdl-subventions/schema.json" in names
    assert "gen_cli/data/scdl-subventions/LICENSE" in names
    starter = {
        f"gen_cli/data/init/{p.name}" for p in (ROOT / "gen_cli" / "data" / "init").iterdir()
    }
    assert starter and starter <= names  # what gen init writes
    assert not any(name.startswith("dossiers/") for name in names)
