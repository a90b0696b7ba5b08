"""The emulator's runtime-properties shim for PyFlink applications (docs/adr/0020-pyflink-on-real-flink.md).

Managed Flink writes an application's runtime properties to /etc/flink/application_properties.json, and
a PyFlink program reads that file itself ("Use runtime properties in Managed Service for Apache Flink",
AWS developer guide). The emulator runs several applications on one machine, each in its own directory,
and cannot write /etc; so, like the Java shim in local-flink-launcher.jar, this module makes the fixed
path name the file of the application whose cluster started this Python process
($MFO_APPLICATION_PROPERTIES, set by the emulator on every cluster JVM; PythonDriver passes its
environment on). Python imports sitecustomize from PYTHONPATH at start-up, before the program runs;
the program's code is unmodified. Without the variable nothing changes.
"""

import builtins
import io
import os

MANAGED_FLINK_PROPERTIES = "/etc/flink/application_properties.json"
_local = os.environ.get("MFO_APPLICATION_PROPERTIES")


def _redirect(path):
    try:
        if os.fspath(path) == MANAGED_FLINK_PROPERTIES:
            return _local
    except TypeError:
        pass  # a file descriptor, or not a path at all: not ours to change
    return path


if _local:
    _open, _io_open, _stat = builtins.open, io.open, os.stat

    def _patched_open(file, *args, **kwargs):
        return _open(_redirect(file), *args, **kwargs)

    def _patched_io_open(file, *args, **kwargs):
        return _io_open(_redirect(file), *args, **kwargs)

    def _patched_stat(path, *args, **kwargs):
        # os.path.isfile/exists and pathlib's checks go through os.stat.
        return _stat(_redirect(path), *args, **kwargs)

    builtins.open = _patched_open
    io.open = _patched_io_open
    os.stat = _patched_stat
