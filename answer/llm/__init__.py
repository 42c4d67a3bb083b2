"""Answer models: the embedded llama.cpp model and Ollama, behind `Generator`."""
