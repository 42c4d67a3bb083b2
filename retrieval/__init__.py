"""Finding passages: the Chroma store, the BM25 keyword index, embeddings, and their hybrid search."""
