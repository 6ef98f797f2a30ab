# RNNoise speech denoiser: pyrnnoise loads librnnoise.so from its own package folder with ctypes.
from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("pyrnnoise")
