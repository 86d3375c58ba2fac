"""Exercise checkers, one module per lesson (``from gradflow.exercises import detach as ex``).

Importing this package registers every lesson's checkers in :data:`gradflow.checking.REGISTRY`,
which the tests use to prove that each lesson's stub is "not attempted yet" and each solution passes.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
