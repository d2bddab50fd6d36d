"""Test-session defaults shared by the unit tests and the notebooks run under nbval.

``python -m pytest`` runs the notebooks in their quick profile (``SRKIT_QUICK=1``)
unless the variable is already set: ``SRKIT_QUICK=0 python -m pytest`` runs the
default profile. Environment variables set here reach the kernels nbval starts.
"""

import os

os.environ.setdefault("SRKIT_QUICK", "1")
