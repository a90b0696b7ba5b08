#!/bin/sh
# Runs "$@" and stops it once our stdin reaches end-of-file, which happens when the Node process that
# started us exits for any reason — including SIGKILL, where no exit handler of its own can run.
# Node has no prctl(PR_SET_PDEATHSIG), so the parent's end is detected through this pipe instead.
# A background list's stdin is /dev/null in a non-interactive shell, so keep the pipe on fd 3 first.
exec 3<&0
if [ -n "${MFO_GUARD_COMMANDS:-}" ]; then
  # The child reads commands on its stdin: the pipe ManagedProcess opened as our fd 4. It reaches
  # end-of-file with ours, when the Node process goes.
  unset MFO_GUARD_COMMANDS
  "$@" <&4 3<&- 4<&- &
  exec 4<&-
else
  "$@" </dev/null 3<&- &
fi
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
(
  cat <&3 >/dev/null
  kill -TERM "$child" 2>/dev/null
  # Grace period for a clean shutdown, then the hard stop.
  i=0
  while kill -0 "$child" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$child" 2>/dev/null
) &
# A trapped signal interrupts `wait`; keep waiting until the child is really gone, so that whoever
# stops us (ManagedProcess.stop) also waits for the server's own shutdown and can escalate to KILL.
status=0
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
exit "$status"
