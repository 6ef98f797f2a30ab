"""Art engines: style transfer (``style``) with the bundled Magenta networks on onnxruntime."""
