# Overrides the package's own hook, which collects all ten ncnn files (45 MB): the spec collects only the
# files the built-in model manifests name (the three *_UP4X pairs the app converts).
datas = []
