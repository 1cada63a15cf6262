"""The Apache Beam side of c4forge: inputs, the corpus pipeline and its command line."""
