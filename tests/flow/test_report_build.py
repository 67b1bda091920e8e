"""The report's command line: bad options are one line each, exit status 2, nothing run.

The report end to end (a small spec through the real flow) is
tests/approx/test_approx_report_build.py; the sections' contracts are tested per family.
"""

from __future__ import annotations

from gen.cli import main


def test_cli_report_rejects_bad_options(capsys):
    assert main(["report", "--ops", "0"]) == 2
    assert main(["report", "--workers", "0"]) == 2
    assert main(["report", "--compare-liberty", "/nonexistent/x.lib"]) == 2
    err = capsys.readouterr().err
    assert "--ops" in err and "--workers" in err and "/nonexistent/x.lib" in err
