"""The search read model: documents, engines (tantivy embedded, OpenSearch, Elasticsearch), projection."""
