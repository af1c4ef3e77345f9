"""Document store: "Vos documents" (structure → family) and "Document libre" (family → structure)."""
