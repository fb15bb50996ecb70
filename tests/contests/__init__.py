import ast
from pathlib import Path


def top_level_imports(module) -> set[str]:
    """The top-level packages a module imports (the verifier in a notary's bundle runs the
    contests' rules with a bare Python: only the standard library may appear)."""
    tree = ast.parse(Path(module.__file__).read_text("utf-8"))
    return {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
