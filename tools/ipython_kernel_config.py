"""IPython kernel settings for the book's runs (`make` copies this file to .venv/etc/ipython/).

Two kernel log lines reach every `make test` / `make book` log and tell a reader nothing: the warning that the
kernel listens on local TCP without encryption (papermill and nbval start kernels on the loopback interface), and
"KeyboardInterrupt caught in kernel" when a runner stops its kernel.  They are dropped here, by their text only:
every other kernel message still shows.
"""

import logging

_NOISE = ("Kernel is running over TCP without encryption", "KeyboardInterrupt caught in kernel")


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_NOISE)


# traitlets names an application's logger after its class; the kernel logs through its application's logger
for _name in ("IPKernelApp", "ipykernel", "ipykernel.kernelbase"):
    logging.getLogger(_name).addFilter(_DropNoise())
