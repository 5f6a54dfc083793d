import subprocess
import sys


def test_help_lists_commands_without_importing_them() -> None:
    out = subprocess.run([sys.executable, "-m", "provisioner", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for name in ("validate", "render", "schema", "sandbox", "plan", "apply", "import"):
        assert name in out


def test_unknown_command_is_a_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "provisioner", "nope"], capture_output=True, text=True)
    assert proc.returncode == 1  # not click's 2, which `plan --detailed-exitcode` uses for changes
    assert "Traceback" not in proc.stderr
