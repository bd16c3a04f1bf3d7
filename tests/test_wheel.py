"""The wheel carries every lab's files where the installed catalog looks for them."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_every_lab_and_its_terraform(tmp_path):
    # --no-isolation uses the build backend already installed (hatchling, from the dev extra): no network.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("labcheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "labcheck/py.typed" in names
    assert "labcheck/cli/__init__.py" in names
    for lab in sorted(p for p in (ROOT / "labs").iterdir() if (p / "lab.yaml").is_file()):
        for path in lab.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"labcheck/_bundled/labs/{path.relative_to(ROOT / 'labs')}" in names
        for kind in ("starter", "solution"):
            for tf in (ROOT / "terraform" / lab.name / kind).glob("*.tf"):
                assert f"labcheck/_bundled/terraform/{tf.relative_to(ROOT / 'terraform')}" in names
