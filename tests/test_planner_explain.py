"""--explain: the decisions behind a plan, each with its inputs, and nothing logged unless asked."""

from __future__ import annotations

from eks_scaling.parse_settings import parse_config
from planner.cli.main import main
from planner.engine import scenario as S
from planner.engine.scenario import Scenario
from planner.simulation import Simulation
from tests.context import with_defaults


def explained(settings: dict, scenario: Scenario) -> Simulation:
    simulation = Simulation(parse_config(with_defaults(settings)), scenario, explain=True)
    simulation.run()
    return simulation


def test_nothing_is_logged_unless_asked():
    simulation = Simulation(parse_config(with_defaults({})), S.chapter())
    simulation.run()
    assert simulation.cluster.log is None


def test_hpa_syncs_show_metric_target_tolerance_and_the_replicas_set():
    log = explained({}, S.chapter()).cluster.log
    scale_up = next(d for d in log.about("php-apache") if d.actor == "HPA" and "1 -> 4" in d.text)
    assert "Resource metric" in scale_up.text and "against Utilization 50" in scale_up.text
    assert "tolerance down 0.1, up 0.1" in scale_up.text and "no behavior" in scale_up.text
    # The 300 s window holds the scale-down back: the recommendation falls before the replicas do.
    held = [d for d in log.about("php-apache") if d.actor == "HPA" and "recommends 0" in d.text
            and d.time > scale_up.time]
    assert held and held[0].text.endswith("5 -> 5 replicas")


def test_a_configured_behavior_and_tolerance_are_named():
    log = explained({"phpApacheHpaBehavior": '{"scaleUp": {"tolerance": "0.2"}}'}, S.chapter()).cluster.log
    assert any("tolerance down 0.1, up 0.2; spec.behavior" in d.text for d in log.about("php-apache"))


def test_launches_name_the_type_and_the_pods_and_preemptions_their_victims():
    burst = Scenario("burst", 1800.0, {"inflate": [(0.0, 0.0), (600.0, 12.0)]})
    log = explained({"headroom": "4", "headroomCpu": "100m", "enableMetricsServer": "false",
                     "enablePrometheus": "false", "enableKeda": "false"}, burst).cluster.log
    launches = [d for d in log.about("inflate") if d.actor == "Karpenter"]
    assert launches and all(d.text.startswith("launches ") and "inflate" in d.text for d in launches)
    preempted = [d for d in log.about("inflate") if d.actor == "scheduler"]
    assert preempted and "headroom pod(s)" in preempted[0].text and "priority -10 < 0" in preempted[0].text
    assert {"inflate", "headroom"} <= preempted[0].workloads


def test_cluster_autoscaler_says_why_it_adds_and_removes_nodes():
    log = explained({"nodeAutoscaler": "cluster-autoscaler"}, S.chapter()).cluster.log
    actions = [d.text for d in log.about("cluster") if d.actor == "Cluster Autoscaler"]
    assert any(text.startswith("scale-up: one more m5.large") for text in actions)
    assert any(text.startswith("scale-down: deletes a m5.large unneeded for") and "<= 50%" in text
               for text in actions)


def test_karpenter_consolidation_states_policy_and_budget():
    log = explained({"karpenterConsolidationPolicy": "WhenEmptyOrUnderutilized",
                     "karpenterDisruptionBudgets": '[{"nodes": "1"}]'}, S.chapter()).cluster.log
    consolidations = [d.text for d in log.about("cluster") if d.text.startswith("consolidation")]
    assert consolidations and all("WhenEmptyOrUnderutilized, budgets 1)" in text for text in consolidations)


def test_the_cli_prints_and_writes_the_log(tmp_path, capsys, planner_defaults):
    assert main(["--explain", "php-apache", "--no-plot", "--quiet", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "decisions for php-apache" in printed and "Resource metric" in printed
    (written,) = tmp_path.glob("*_explain_php-apache.txt")
    assert "Resource metric" in written.read_text()


def test_an_unknown_workload_is_one_line(tmp_path, capsys, planner_defaults):
    assert main(["--explain", "nginx", "--no-plot", "--quiet", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: --explain nginx: not a workload of this plan; explain one of ")
    assert error.rstrip().endswith("cluster") and error.count("\n") == 1
