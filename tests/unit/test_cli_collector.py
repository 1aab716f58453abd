"""The collector is held off while a start imports and builds, then on again with what was made frozen
(cli/collector.py): on again whatever happens, or a process would never collect again."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from iamd.cli import collector


@pytest.fixture(autouse=True)
def _unfrozen():
    yield
    gc.unfreeze()  # give the test process its objects back
    gc.enable()


def test_held_off_then_on_with_what_was_made_frozen():
    before = gc.get_freeze_count()
    with collector.held_off():
        assert not gc.isenabled()
        made = [[index] for index in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(made)


def test_on_again_when_the_start_fails():
    with pytest.raises(SystemExit), collector.held_off():
        raise SystemExit("iamd: the master key does not open the stored secrets")
    assert gc.isenabled()


def test_the_command_line_imports_with_it_off_and_runs_with_it_on():
    probe = ("import gc, sys; from iamd.cli.main import main; imported_on = gc.isenabled()\n"
             "try:\n    main(['coverage', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(imported_on, gc.isenabled(), gc.get_freeze_count() > 10000, 'sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    # Importing the module leaves the collector alone; main imports the commands with it off, then
    # freezes what they made and turns it on again, even when the command line only asked for help.
    assert out[-4:] == ["True", "True", "True", "True"]
