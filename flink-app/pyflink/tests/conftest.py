import os
import sys

# The job is a single script (that is what Managed Flink runs); make it importable in tests.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
