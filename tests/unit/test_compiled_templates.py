"""The process-wide cache of compiled templates: shared by environments, never stale."""

from jinja2 import DictLoader, Environment
from jinja2.bccache import Bucket

from app.web import CompiledTemplates


class CountingCache(CompiledTemplates):
    """Counts the compilations: Jinja stores in the cache each template it had to compile."""

    def __init__(self) -> None:
        super().__init__()
        self.compilations = 0

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compilations += 1
        super().dump_bytecode(bucket)


def environment(cache: CompiledTemplates, source: str) -> Environment:
    return Environment(
        loader=DictLoader({"page.html": source}), bytecode_cache=cache, autoescape=True
    )


def test_a_second_environment_reuses_the_compiled_template() -> None:
    cache = CountingCache()
    environment(cache, "Bonjour {{ name }}").get_template("page.html")

    page = environment(cache, "Bonjour {{ name }}").get_template("page.html")

    assert page.render(name="Camille") == "Bonjour Camille"
    assert cache.compilations == 1


def test_a_template_whose_source_changed_is_compiled_again() -> None:
    cache = CountingCache()
    environment(cache, "Ancienne version").get_template("page.html")

    page = environment(cache, "Nouvelle version").get_template("page.html")

    assert page.render() == "Nouvelle version"
    assert cache.compilations == 2
