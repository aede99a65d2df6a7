import sys
from pathlib import Path

# Test modules import their shared builders as `builders`, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))
