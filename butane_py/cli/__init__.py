"""The ``butane-py`` command line, on top of every other layer.

One module per area holds that area's commands: the functions that read arguments' files,
call the library, print and return the exit code, and beside them ``register(app)``, which
declares the commands on the typer app. Typer is imported only inside ``register``, so
running a command's function never imports it.

- :mod:`.translate`: the default command (Butane to Ignition) and ``--version``
- :mod:`.validate`: ``validate``
- :mod:`.tools`: ``check``, ``schema``, ``hash-password``
- :mod:`.images`: ``download``, ``stream``, ``images``, ``cache``
- :mod:`.disks`: ``images ensure``, ``images copy`` (on the ``images`` group), ``install``
- :mod:`.embed`: ``iso``, ``pxe``, ``embed``

Shared by them:

- :mod:`._fast`: the console script, :func:`main`; it parses the hot commands itself and
  hands everything else to the typer app
- :mod:`._options`: the option tables of the commands the fast entry parses, which their typer
  declarations read too
- :mod:`._app`: the typer app assembled from every area, with the classic help look
- :mod:`._output`: error lines, tables and colour, printed alike by every area
"""

from ._fast import main

__all__ = ["main"]
