"""srkit.plots.compare_methods: titles carry the route's PSNR, crops line up."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from srkit import data, evaluate, plots  # noqa: E402


@pytest.mark.parametrize("route", ["srcnn", "rgb"])
def test_compare_methods_titles_are_the_routes_psnr(route):
    hr = dict(data.load_dataset("set5"))["butterfly"]
    lr, reference = evaluate.route_pair(hr, 3, route)
    results = {"bicubic": evaluate.bicubic(lr, 3), "nearest": evaluate.interpolator("nearest")(lr, 3)}
    fig = plots.compare_methods(reference, results, 3, route, title="set5/butterfly, ×3")
    titles = [ax.get_title() for ax in fig.axes[:3]]
    expected = [f"{label}\n{evaluate.route_measure(reference, sr, 3, route)[0]:.2f} dB"
                for label, sr in results.items()]
    assert titles == ["HR", *expected]
    assert fig._suptitle.get_text() == "set5/butterfly, ×3"
    # bicubic on the SRCNN route: the paper's butterfly ×3 number (24.04 dB, Y, border 3)
    assert float(titles[1].split("\n")[1].split()[0]) == pytest.approx(24.04, abs=0.01)
    crops = [ax.images[0].get_array().shape[:2] for ax in fig.axes[3:]]
    assert len(set(crops)) == 1
    plt.close(fig)


def test_compare_methods_refuses_a_result_of_another_size():
    reference = np.zeros((48, 48), np.uint8)
    with pytest.raises(ValueError):
        plots.compare_methods(reference, {"wrong": np.zeros((40, 40), np.float32)}, 2)
