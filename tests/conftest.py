import sys
from pathlib import Path

# Helpers shared by unit and integration tests (secret_stack) live here, beside both folders.
sys.path.insert(0, str(Path(__file__).parent))
