# legacy_rprop on Keras 2.3.1 + tensorflow 1.15.5 (CPU), Python 3.7.
#   docker build -f docker/tensorflow.Dockerfile -t legacy-rprop:tensorflow .
#   docker run --rm legacy-rprop:tensorflow                         # the test suite
#   docker run --rm -v "$PWD/demo-output:/out" legacy-rprop:tensorflow demo
# The pins come from requirements/, as in tox's py37-tensorflow environment.
FROM python:3.7.17-slim-bookworm

ENV KERAS_BACKEND=tensorflow \
    LEGACY_RPROP_EXPECT_BACKEND=tensorflow \
    LEGACY_RPROP_EXPECT_STACK="keras==2.3.1 tensorflow==1.15.5" \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONHASHSEED=0 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/test.txt -r requirements/tensorflow.txt -r requirements/demo.txt
COPY setup.py README.md LICENSE tox.ini ./
COPY legacy_rprop/ legacy_rprop/
RUN pip install --no-deps .
COPY tests/ tests/
COPY docker/ docker/

WORKDIR /app/tests
ENTRYPOINT ["/app/docker/entrypoint"]
CMD ["pytest", "-m", "not crossbackend and not horovod"]
