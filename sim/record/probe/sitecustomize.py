"""sitecustomize.py - starts gilsim's recording probe (issue 17).

`gilsim record` puts this folder first on PYTHONPATH, so Python's site
module imports this file at start-up, before the user's program. If
GILSIM_RECORD_DIR is set and not empty, it installs the probe
(gilsim_probe.py, beside this file), which records into that folder. A
failure never stops the program: it prints one line,
`gilsim probe: not recording: <reason>`, and the program runs unrecorded.

Then, recording or not, it runs the sitecustomize that this one shadows
(the next one on sys.path, such as Debian's), as a module of the same
name that then replaces this one in sys.modules, so the user's
environment behaves as before. Folders that hold a gilsim_probe.py (this
one, or another copy of it) are skipped, so two copies never chain to
each other. An error in that module propagates to site, which reports it
just as it would have without us.
"""
import os
import sys


def _start_probe():
    folder = os.environ.get("GILSIM_RECORD_DIR", "")
    if not folder:
        return
    try:
        import gilsim_probe
        gilsim_probe.install(folder)
    except Exception as e:
        sys.stderr.write("gilsim probe: not recording: %s\n"
                         % (str(e).replace("\n", " ") or type(e).__name__))


def _is_probe_folder(entry):
    try:
        folder = os.path.abspath(entry or os.curdir)
        return os.path.isfile(os.path.join(folder, "gilsim_probe.py"))
    except (TypeError, ValueError, OSError):
        return False


def _chain():
    import importlib.machinery
    import importlib.util
    path = [p for p in sys.path
            if isinstance(p, str) and not _is_probe_folder(p)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_start_probe()
_chain()
