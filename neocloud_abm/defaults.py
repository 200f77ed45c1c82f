"""Every parameter of the model: default, unit, bounds and source.

"Assumption" marks a modelling choice with no direct empirical counterpart; those are the
first candidates for sensitivity analysis. Money is USD, time is months unless a unit says
otherwise, compute is in H100-equivalents (H100e).
"""

from __future__ import annotations

from neocloud_abm.params import Spec

ASSUMPTION = "modelling assumption"

PARAMETERS: dict[str, Spec] = {
    # --- market: calendar and shared conventions -------------------------------------
    "market.start": Spec("2022-01", "YYYY-MM", "DESIGN section 2", "first simulated month",
                         kind="month"),
    "market.months": Spec(120, "months", "DESIGN section 2 (2022-2031)", "default horizon",
                          1, 600, kind="int"),
    "market.power_price_kwh": Spec(0.08, "$/kWh", "US industrial tariff, EIA 2024",
                                   "facility electricity price", 0.0, 1.0),
    "market.colocation_kw_month": Spec(137.0, "$/kW-month", "CBRE North America data centre "
                                       "trends H2 2024", "colocation rent per kW installed",
                                       0.0, 1000.0),
    "market.install_multiplier": Spec(1.6, "x chip price", "SemiAnalysis H100 server TCO "
                                      "(servers, network, build-out ~60% on top of GPUs)",
                                      "installed cost per GPU over the chip price", 1.0, 3.0),
    "market.physical_life_months": Spec(84, "months", "hyperscaler server lives 5-6 years "
                                        "plus resale tail; assumption",
                                        "age at which a GPU is retired", 24, 180, kind="int"),
    "market.secondary_life_months": Spec(72, "months", "used-GPU marks ~70/50/35% of new at "
                                         "12/24/36 months (DESIGN 3); calibrated",
                                         "economic life the secondary market prices in",
                                         12, 120, kind="int"),
    "market.expected_price_decline": Spec(0.2, "fraction per year", "perf-adjusted rent "
                                          "decline ~1.45x price/perf per generation (DESIGN 3)",
                                          "decline of a GPU's rent that buyers and lenders "
                                          "price in", 0.0, 0.9),
    "market.depth_share": Spec(0.05, "fraction of fleet per month", ASSUMPTION,
                               "used GPUs of a generation the secondary market absorbs per "
                               "month without a discount", 0.001, 1.0),
    "market.fire_sale_impact": Spec(0.1, "discount per unit of depth sold", ASSUMPTION +
                                    " (Shleifer & Vishny 1992 fire-sale logic)",
                                    "secondary-price discount per month of depth dumped",
                                    0.0, 5.0),
    "market.fire_sale_max_discount": Spec(0.4, "fraction", ASSUMPTION,
                                          "largest fire-sale discount", 0.0, 0.95),
    "market.fire_sale_decay": Spec(0.7, "fraction kept per month", ASSUMPTION,
                                   "how much of the discount persists into next month",
                                   0.0, 1.0),
    "market.allocation_noise": Spec(0.08, "log-price s.d.", ASSUMPTION,
                                    "noise/loyalty in which offers spot buyers take first",
                                    0.0, 1.0),
    "market.customer_loyalty": Spec(0.3, "share of spot demand", ASSUMPTION + " (switching "
                                    "costs: data gravity, integration)", "spot demand that "
                                    "stays with each provider in proportion to its capacity "
                                    "before the rest goes to the cheapest offers", 0.0, 1.0),
    "market.contract_discount": Spec(0.10, "fraction of spot", "SemiAnalysis GPU rental index "
                                     "(term contracts below on-demand)",
                                     "discount of a term contract to the posted spot price",
                                     0.0, 0.9),
    "market.initial_price_h100e": Spec(3.4, "$/H100e-hour", "2022 A100 on-demand $1.10-1.29/h "
                                       "at Lambda and CoreWeave, / 0.35 H100e",
                                       "spot price at the start", 0.1, 50.0),
    "market.reference_price_h100e": Spec(2.0, "$/H100e-hour", "Latent Space Oct 2024 "
                                         "break-even $1.65-2.85/h", "price at which compute "
                                         "needs are quoted", 0.1, 50.0),
    # --- environment: sentiment, rates, substitutes ----------------------------------
    "environment.initial_sentiment": Spec(0.0, "index", ASSUMPTION + " (2022: crypto winter, "
                                          "rate hikes)", "sentiment at the start", -3.0, 3.0),
    "environment.chatgpt_date": Spec("2022-11", "YYYY-MM", "ChatGPT launch 30 Nov 2022",
                                     "month of the ChatGPT shock", kind="month"),
    "environment.chatgpt_shock": Spec(2.0, "index points", ASSUMPTION + " (calibrated to the "
                                      "2023 shortage)", "jump in sentiment at ChatGPT",
                                      0.0, 5.0),
    "environment.sentiment_reversion": Spec(0.05, "per month", ASSUMPTION,
                                            "speed at which sentiment returns to what revenue "
                                            "growth and failures justify", 0.0, 1.0),
    "environment.sentiment_noise": Spec(0.05, "index s.d. per month", ASSUMPTION,
                                        "monthly sentiment noise", 0.0, 1.0),
    "environment.sentiment_revenue_weight": Spec(0.8, "index per unit log growth", ASSUMPTION,
                                                 "how much year-on-year startup revenue "
                                                 "growth supports sentiment", 0.0, 5.0),
    "environment.sentiment_gap_weight": Spec(0.6, "index per unit gap share", "Sequoia "
                                             "'AI's $600B question' (2024) as a drag on "
                                             "sentiment; assumption", "how much the revenue "
                                             "gap, as a share of required revenue, depresses "
                                             "sentiment", 0.0, 5.0),
    "environment.sentiment_failure_weight": Spec(8.0, "index per failure rate", ASSUMPTION,
                                                 "how much monthly failures (startups, "
                                                 "neoclouds) depress sentiment", 0.0, 100.0),
    "environment.base_rate_path": Spec(
        (("2022-01", 0.0005), ("2022-03", 0.003), ("2023-07", 0.053), ("2024-08", 0.053),
         ("2024-12", 0.043), ("2025-12", 0.039), ("2026-06", 0.037)),
        "fraction per year", "NY Fed SOFR (monthly averages), forward curve for 2026",
        "base-rate path, linear between knots, flat after the last", -0.05, 0.25, kind="path"),
    "environment.asic_share_start": Spec(0.26, "fraction of AI compute", "DESIGN 3 (in-house "
                                         "ASIC share ~26%)", "share of AI compute on "
                                         "in-house ASICs at the start", 0.0, 0.95),
    "environment.asic_share_growth": Spec(0.02, "fraction per year", ASSUMPTION + " (TPU, "
                                          "Trainium, Maia ramps)", "yearly rise of the ASIC "
                                          "share", 0.0, 0.5),
    "environment.asic_share_max": Spec(0.6, "fraction", ASSUMPTION, "ceiling of the ASIC share",
                                       0.0, 0.99),
    "environment.hyperscaler_markup": Spec(2.0, "x neocloud price", "DESIGN 3 (hyperscaler "
                                           "on-demand ~2x neocloud)", "hyperscalers' price "
                                           "over the neocloud price index", 1.0, 10.0),
    "environment.hyperscaler_price_stickiness": Spec(0.9, "fraction kept per month",
                                                     ASSUMPTION, "how slowly the hyperscaler "
                                                     "price follows", 0.0, 1.0),
    "environment.hyperscaler_capacity_share": Spec(0.3, "x initial neocloud capacity",
                                                   ASSUMPTION, "capacity hyperscalers rent "
                                                   "to startups, relative to neoclouds at the "
                                                   "start", 0.0, 100.0),
    "environment.hyperscaler_capacity_growth": Spec(0.4, "log growth per year", ASSUMPTION +
                                                    " (hyperscaler AI capex ~doubling 2023-25)",
                                                    "growth of that capacity", 0.0, 3.0),
    # --- chips: Nvidia's roadmap -------------------------------------------------------
    "chips.a100_release": Spec("2020-06", "YYYY-MM", "Nvidia GTC 2020", "A100 release",
                               kind="month"),
    "chips.a100_perf": Spec(0.35, "H100e", "MLPerf training v3.0 (H100 ~3x A100)",
                            "A100 performance", 0.01, 1.0),
    "chips.a100_price": Spec(15000.0, "$ per GPU", "DESIGN 3 (street price)", "A100 list",
                             100.0, 1e6),
    "chips.a100_power_kw": Spec(0.6, "kW per GPU incl. facility", "DESIGN 3", "A100 power",
                                0.05, 20.0),
    "chips.a100_capacity": Spec(6000.0, "GPUs per month",
        "A100 allocations to GPU clouds 2021-22 (assumption)",
        "peak neocloud-segment output of the A100", 0.0, 1e7),
    "chips.h100_release": Spec("2023-03", "YYYY-MM", "Nvidia GTC 2023 (volume shipments)",
                               "H100 release", kind="month"),
    "chips.h100_price": Spec(30000.0, "$ per GPU", "DESIGN 3", "H100 list", 100.0, 1e6),
    "chips.h100_power_kw": Spec(1.6, "kW per GPU incl. facility", "DESIGN 3", "H100 power",
                                0.05, 20.0),
    "chips.h100_capacity": Spec(35000.0, "GPUs per month",
        "Omdia: ~2M H100 shipped in 2024, ~20% to neoclouds (~400k a year)",
        "peak neocloud-segment output of the H100", 0.0, 1e7),
    "chips.b200_release": Spec("2025-01", "YYYY-MM", "Nvidia Computex 2024 roadmap",
                               "B200 release", kind="month"),
    "chips.b200_perf": Spec(2.5, "H100e", "Nvidia GTC 2024 (2.5x H100 training)",
                            "B200 performance", 0.1, 100.0),
    "chips.b200_price": Spec(40000.0, "$ per GPU", "DESIGN 3", "B200 list", 100.0, 1e6),
    "chips.b200_power_kw": Spec(2.1, "kW per GPU incl. facility", "DESIGN 3", "B200 power",
                                0.05, 20.0),
    "chips.b200_capacity": Spec(32000.0, "GPUs per month",
        "Blackwell ramp 2025 (Nvidia 10-K FY2026; assumption)",
        "peak neocloud-segment output of the B200", 0.0, 1e7),
    "chips.rubin_release": Spec("2026-09", "YYYY-MM", "Nvidia GTC 2025 roadmap",
                                "Rubin release", kind="month"),
    "chips.rubin_perf": Spec(5.0, "H100e", "DESIGN 3", "Rubin performance", 0.1, 1000.0),
    "chips.rubin_price": Spec(55000.0, "$ per GPU", "DESIGN 3", "Rubin list", 100.0, 1e6),
    "chips.rubin_power_kw": Spec(2.8, "kW per GPU incl. facility", "DESIGN 3", "Rubin power",
                                 0.05, 20.0),
    # --- nvidia ----------------------------------------------------------------------------
    "chips.rubin_capacity": Spec(40000.0, "GPUs per month",
        "CoWoS-L growth (TSMC); assumption",
        "peak neocloud-segment output of the RUBIN", 0.0, 1e7),
    "nvidia.generation_interval_months": Spec(18, "months", "DESIGN 3 (yearly cadence "
                                              "announced 2024; 18-24 months historically)",
                                              "months between generations after Rubin",
                                              6, 60, kind="int"),
    "nvidia.perf_step": Spec(2.2, "x per generation", "Huang: 2-3x per generation",
                             "performance of each later generation over the previous",
                             1.0, 10.0),
    "nvidia.price_step": Spec(1.3, "x per generation", "DESIGN 3 (price/perf ~1.45x better "
                              "per generation)", "list price step", 0.5, 5.0),
    "nvidia.power_step": Spec(1.25, "x per generation", "B200/H100 and Rubin/B200 kW ratios",
                              "power step", 0.5, 3.0),
    "nvidia.capacity_growth": Spec(1.3, "x per generation", ASSUMPTION + " (CoWoS capacity "
                                   "growth, TSMC)", "peak output growth of each generation "
                                   "after Rubin", 0.5, 5.0),
    "nvidia.ramp_months": Spec(12, "months", "H100 ramp 2023 (CoWoS constrained)",
                               "months from release to peak output", 1, 48, kind="int"),
    "nvidia.end_of_life_months": Spec(9, "months", ASSUMPTION + " (A100 EOL ~2024)",
                                      "production of a generation ends this long after its "
                                      "successor ships", 0, 60, kind="int"),
    "nvidia.deployment_lag_months": Spec(3, "months", "DESIGN 3 (2023 lead times 36-52 weeks "
                                         "were backlog on top of this)",
                                         "minimum months from order to installed GPU",
                                         1, 36, kind="int"),
    "nvidia.partner_priority": Spec(2.0, "allocation weight", "CoreWeave's preferred "
                                    "allocation as an Nvidia investee", "weight of partner "
                                    "neoclouds' orders in pro-rata allocation", 1.0, 10.0),
    "nvidia.partner_count": Spec(3, "firms", "Nvidia-backed neoclouds: CoreWeave, Lambda, "
                                 "Crusoe", "largest initial neoclouds that are Nvidia "
                                 "partners (allocation priority, circular financing)",
                                 0, 100, kind="int"),
    "nvidia.circular_financing": Spec(False, "on/off", "DESIGN 3 (off in the control, on in "
                                      "baseline)", "Nvidia invests in partners' equity and "
                                      "rents back their unsold capacity", kind="bool"),
    "nvidia.equity_investment_share": Spec(0.01, "fraction of monthly revenue", "CoreWeave: "
                                           "$100M (2023) then ~$2B stakes; assumption",
                                           "revenue Nvidia puts into partners' new equity",
                                           0.0, 0.5),
    "nvidia.backstop_cap_usd": Spec(7.5e7, "$ per month", "$6.3B CoreWeave capacity backstop "
                                    "to 2032 (~$75M a month)", "most Nvidia pays a month "
                                    "for partners' unsold capacity", 0.0, 1e11),
    "nvidia.backstop_discount": Spec(0.2, "fraction of posted price", ASSUMPTION,
                                     "discount of rent-backs to the posted price", 0.0, 1.0),
    "nvidia.max_markup": Spec(0.5, "fraction over list", "H100 street prices $35-45k vs "
                              "~$30k list in 2023", "scarcity markup at a long backlog",
                              0.0, 3.0),
    "nvidia.markup_backlog_months": Spec(6.0, "months of backlog", ASSUMPTION,
                                         "backlog at which the markup reaches half its max",
                                         0.1, 60.0),
    "nvidia.markup_adjustment": Spec(0.2, "fraction per month", ASSUMPTION,
                                     "speed at which the markup moves to its target",
                                     0.0, 1.0),
    "nvidia.cost_of_goods": Spec(0.27, "fraction of revenue", "Nvidia 10-K FY2024-26 gross "
                                 "margin 72-75%", "paid to suppliers", 0.0, 1.0),
    # --- neoclouds ---------------------------------------------------------------------------
    "neoclouds.initial_count": Spec(12, "firms", "DESIGN 3 (10-20 at start)",
                                    "neoclouds at the start", 1, 500, kind="int"),
    "neoclouds.initial_fleet_gpus": Spec(120000.0, "A100 GPUs", ASSUMPTION + " (CoreWeave, "
                                         "Lambda, Crusoe, smaller GPU clouds, 2022)",
                                         "installed A100s across neoclouds at the start",
                                         0.0, 1e8),
    "neoclouds.initial_cash_months": Spec(6.0, "months of revenue", ASSUMPTION,
                                          "starting cash", 0.0, 120.0),
    "neoclouds.competition_neglect": Spec(0.6, "0..1", "Greenwood & Hanson (2015) "
                                          "competition neglect; calibrated", "share of the "
                                          "industry's undelivered orders a neocloud ignores",
                                          0.0, 1.0),
    "neoclouds.assumed_life_months": Spec(72, "months", "CoreWeave 10-K (6-year "
                                          "depreciation); critics argue 24-36",
                                          "economic life used to value a new GPU and to "
                                          "depreciate it", 12, 120, kind="int"),
    "neoclouds.extrapolation": Spec(0.5, "weight", "Barberis et al. (2018) extrapolative "
                                    "beliefs; calibrated", "weight on the recent price trend "
                                    "in the price forecast", 0.0, 3.0),
    "neoclouds.adaptive_weight": Spec(0.3, "per month", ASSUMPTION, "weight of the newest "
                                      "price in the adaptive expectation", 0.0, 1.0),
    "neoclouds.belief_dispersion": Spec(0.1, "s.d.", ASSUMPTION, "spread of neglect and "
                                        "extrapolation across firms", 0.0, 1.0),
    "neoclouds.cost_of_capital": Spec(0.12, "fraction per year", "Damodaran 2025 "
                                      "cloud/semis WACC ~10-13%", "discount rate for NPV",
                                      0.0, 1.0),
    "neoclouds.order_intensity": Spec(2.0, "target fleet growth per unit NPV margin",
                                      ASSUMPTION + "; calibrated to CoreWeave 45k->250k GPUs "
                                      "in 2023-24", "how far a positive NPV margin raises the "
                                      "fleet a firm wants", 0.0, 20.0),
    "neoclouds.max_order_share": Spec(1.0, "fleet fraction per month", ASSUMPTION,
                                      "largest single month's order relative to the fleet",
                                      0.0, 10.0),
    "neoclouds.min_order_scale_gpus": Spec(2000.0, "H100e", ASSUMPTION, "smallest fleet "
                                           "scale used for order sizing (lets entrants "
                                           "start)", 0.0, 1e6),
    "neoclouds.price_sensitivity": Spec(1.5, "elasticity", ASSUMPTION, "how much a neocloud "
                                        "expects price to move with expected utilization",
                                        0.0, 10.0),
    "neoclouds.target_utilization": Spec(0.85, "fraction", "industry target 80-90% (SemiAnalysis)",
                                         "utilization at which posted prices are stable",
                                         0.1, 1.0),
    "neoclouds.price_adjustment": Spec(0.5, "log-price per unit pressure gap", ASSUMPTION +
                                       "; calibrated", "speed of posted-price changes",
                                       0.0, 5.0),
    "neoclouds.market_watch": Spec(0.5, "weight", ASSUMPTION + " (sellers follow public "
                                   "rental indices, e.g. SemiAnalysis)", "weight of market-wide "
                                   "utilization, against the firm's own, in its pricing",
                                   0.0, 1.0),
    "neoclouds.max_price_step": Spec(0.12, "log-price per month", ASSUMPTION,
                                     "largest monthly move of a posted price (stickiness)",
                                     0.0, 2.0),
    "neoclouds.new_generation_premium": Spec(0.1, "fraction", ASSUMPTION, "premium over the "
                                             "perf-adjusted index when a generation is "
                                             "first offered", -0.5, 2.0),
    "neoclouds.overhead_gpu_month": Spec(60.0, "$ per GPU-month", "CoreWeave 10-K 2024 "
                                         "(technology & infrastructure, SG&A per GPU)",
                                         "staff, network and maintenance per GPU", 0.0, 5000.0),
    "neoclouds.max_contract_share": Spec(0.9, "fraction of capacity", "CoreWeave S-1: 96% of "
                                         "revenue take-or-pay", "capacity a neocloud will put "
                                         "under term contracts", 0.0, 1.0),
    "neoclouds.entry_rate": Spec(0.3, "firms per month at full attraction", ASSUMPTION +
                                 " (dozens of GPU clouds founded 2023-24)", "entry rate",
                                 0.0, 20.0),
    "neoclouds.entry_margin": Spec(0.5, "price over break-even", ASSUMPTION, "excess of the "
                                   "spot price over break-even at which entry reaches its "
                                   "full rate", 0.01, 10.0),
    "neoclouds.entry_capital": Spec(3e8, "$", "Lambda, Crusoe early rounds ($0.1-0.5B)",
                                    "median starting equity of an entrant", 0.0, 1e11),
    "neoclouds.crypto_origin_share": Spec(0.5, "fraction", "CoreWeave, Crusoe, Hut 8, IREN "
                                          "(S5)", "share of entrants that are pivoting "
                                          "crypto miners", 0.0, 1.0),
    "neoclouds.crypto_colocation_discount": Spec(0.3, "fraction", ASSUMPTION + " (miners own "
                                                 "powered sites)", "colocation saving of ex-"
                                                 "miners", 0.0, 1.0),
    # --- startups --------------------------------------------------------------------------
    "startups.initial_count": Spec(400, "firms", "DESIGN 3 (hundreds to thousands)",
                                   "startups at the start", 1, 100000, kind="int"),
    "startups.initial_demand_ratio": Spec(0.95, "x neocloud capacity", ASSUMPTION + "; 2022 "
                                          "GPU clouds ran near full (SemiAnalysis)",
                                          "startups' demand at the initial price relative to "
                                          "installed neocloud capacity", 0.0, 10.0),
    "startups.size_tail": Spec(1.1, "Pareto alpha", "Epoch AI: compute concentrated in a "
                               "few frontier labs", "tail index of startup sizes", 0.5, 5.0),
    "startups.price_elasticity": Spec(0.7, "elasticity", ASSUMPTION + " (inference demand "
                                      "expands as compute gets cheaper)", "price elasticity "
                                      "of compute demand", 0.0, 5.0),
    "startups.need_growth": Spec(0.005, "log per month", ASSUMPTION, "growth of compute need "
                                 "at zero sentiment", -0.5, 0.5),
    "startups.need_growth_sentiment": Spec(0.06, "log per month per sentiment point",
                                           "Epoch AI: training compute 4-5x per year; "
                                           "calibrated", "extra need growth with sentiment",
                                           0.0, 0.5),
    "startups.need_noise": Spec(0.05, "log s.d. per month", ASSUMPTION, "idiosyncratic need "
                                "shocks", 0.0, 1.0),
    "startups.revenue_per_compute": Spec(0.25, "$ revenue per $ of compute at reference "
                                         "price", "Sequoia 'AI's $600B question' (2024); "
                                         "calibrated", "monetisation at the start", 0.0, 10.0),
    "startups.monetisation_growth": Spec(0.2, "log per year", "OpenAI/Anthropic revenue "
                                         "growth 2023-25", "growth of revenue per unit of "
                                         "compute used", -1.0, 3.0),
    "startups.productivity_noise": Spec(0.08, "log s.d. per month", ASSUMPTION, "drift of a "
                                        "startup's revenue per unit of compute; investors "
                                        "fund the productive ones more readily", 0.0, 1.0),
    "startups.noncompute_cost_ratio": Spec(0.4, "x need valued at the reference price",
                                           ASSUMPTION + " (staff and other costs ~ 30-40% of "
                                           "an AI lab's spending)", "non-compute costs, fixed "
                                           "by the startup's scale", 0.0, 10.0),
    "startups.spend_horizon_months": Spec(12.0, "months", ASSUMPTION + " (burn a round over "
                                          "12-18 months)", "cash is spent over this many "
                                          "months", 1.0, 120.0),
    "startups.initial_runway_months": Spec(18.0, "months", ASSUMPTION, "starting cash in "
                                           "months of spending", 0.0, 240.0),
    "startups.funding_runway_months": Spec(9.0, "months", "typical VC round cadence "
                                           "(Carta 2024)", "runway at which a startup raises",
                                           0.0, 60.0),
    "startups.funding_success": Spec(0.15, "probability per month at zero sentiment",
                                     ASSUMPTION, "chance that a raise succeeds", 0.0, 1.0),
    "startups.funding_sentiment": Spec(1.2, "log-odds per sentiment point", ASSUMPTION,
                                       "how much sentiment raises that chance", 0.0, 10.0),
    "startups.round_months": Spec(18.0, "months of spending", "Carta 2024 (18-24 months "
                                  "runway per round)", "size of a round", 1.0, 120.0),
    "startups.round_sentiment": Spec(0.4, "log size per sentiment point", "PitchBook-NVCA "
                                     "2023-25 AI mega-rounds", "round size rises with sentiment",
                                     0.0, 5.0),
    "startups.entry_rate": Spec(0.005, "share of population per month", "PitchBook AI "
                                "startup formation; assumption", "entry at zero sentiment",
                                0.0, 1.0),
    "startups.entry_sentiment": Spec(0.8, "log rate per sentiment point", ASSUMPTION,
                                     "entry rises with sentiment", 0.0, 5.0),
    "startups.contract_share": Spec(0.7, "fraction of need", "CoreWeave S-1 (Microsoft, "
                                    "OpenAI anchor contracts)", "share of its need a large "
                                    "startup puts under term contracts", 0.0, 1.0),
    "startups.contract_size_quantile": Spec(0.9, "quantile", ASSUMPTION, "startups above this "
                                            "size quantile sign term contracts", 0.0, 1.0),
    "startups.min_term_months": Spec(12, "months", "DESIGN 3 (term 12-60 months)",
                                     "shortest contract", 1, 120, kind="int"),
    "startups.max_term_months": Spec(60, "months", "DESIGN 3; CoreWeave average ~4 years",
                                     "longest contract (largest tenants)", 1, 120, kind="int"),
    # --- lenders --------------------------------------------------------------------------
    "lenders.count": Spec(6, "lenders", "DESIGN 3 (4-8: Blackstone, Magnetar, PIMCO, BlackRock, "
                          "banks)", "lenders, cycling private credit, asset manager, bank",
                          0, 100, kind="int"),
    "lenders.initial_capital": Spec(2.0e9, "$ per lender", ASSUMPTION + " (equity each lender "
                                    "commits to GPU lending; > $11B lent in 12 months, S1)",
                                    "capital at the start", 0.0, 1e12),
    "lenders.min_capital_ratio": Spec(0.10, "capital / exposure", "Basel III total capital "
                                      "8% + buffers", "below it a lender stops new lending",
                                      0.0, 1.0),
    "lenders.lending_buffer": Spec(1.5, "x minimum capital ratio", ASSUMPTION + " (management "
                                   "buffer over regulatory minimum)", "capital ratio a lender "
                                   "keeps when making new loans", 1.0, 10.0),
    "lenders.spot_revenue_haircut": Spec(0.5, "fraction", ASSUMPTION + " (lenders underwrite "
                                         "take-or-pay contracts; CoreWeave DDTLs secured by "
                                         "customer contracts)", "share of spot revenue lenders "
                                         "ignore in projected coverage", 0.0, 1.0),
    "lenders.max_ltv": Spec(0.7, "loan / collateral at origination", "GPU ABS and CoreWeave "
                            "DDTL advance rates 60-80%", "loan-to-value a lender advances",
                            0.0, 1.0),
    "lenders.private_credit_ltv_premium": Spec(0.05, "LTV points", ASSUMPTION + " (higher risk "
                                               "appetite of private credit)", "extra advance "
                                               "by private credit", 0.0, 0.5),
    "lenders.private_credit_dscr_factor": Spec(0.85, "x min DSCR", ASSUMPTION, "private credit "
                                               "accepts lower projected coverage", 0.1, 2.0),
    "lenders.leverage_policy": Spec("fixed", "policy", "DESIGN 3; Adrian & Shin (2010) on "
                                    "procyclical leverage", "how the advance responds to the "
                                    "cycle", kind="str",
                                    choices=("fixed", "procyclical", "countercyclical")),
    "lenders.policy_sensitivity": Spec(1.0, "LTV cut per unit volatility or price stretch",
                                       ASSUMPTION, "strength of the pro/countercyclical rule",
                                       0.0, 10.0),
    "lenders.ltv_cushion": Spec(0.3, "LTV points", ASSUMPTION + " (maintenance covenants sit "
                                "above the advance rate)", "covenant LTV over origination LTV",
                                0.0, 1.0),
    "lenders.min_dscr": Spec(1.4, "x debt service", "DESIGN 3 (debt-service coverage >= 1.4x)",
                             "coverage covenant and underwriting test", 0.0, 10.0),
    "lenders.term_months": Spec(54, "months", "CoreWeave DDTL 2023-24 (48-60 months)",
                                "amortisation term", 6, 240, kind="int"),
    "lenders.spread_private_credit": Spec(0.09, "fraction per year", "CoreWeave DDTL 1.0: ~15% "
                                          "all-in in 2023 with SOFR 5.3%", "spread over base",
                                          0.0, 0.5),
    "lenders.spread_asset_manager": Spec(0.065, "fraction per year", "SOFR+6-6.5% (DDTL 2.0)",
                                         "spread over base", 0.0, 0.5),
    "lenders.spread_bank": Spec(0.035, "fraction per year", "SOFR+2.25% A3 deal 2026 plus "
                                "sector premium; assumption", "spread over base", 0.0, 0.5),
    "lenders.investment_grade_share": Spec(0.5, "contracted share of capacity", ASSUMPTION,
                                           "take-or-pay coverage that makes a loan "
                                           "investment-grade backed", 0.0, 1.0),
    "lenders.investment_grade_discount": Spec(0.03, "fraction per year", "SOFR+6.5% IG-backed "
                                              "vs SOFR+13% otherwise (DESIGN 3)", "spread cut "
                                              "for contract-backed loans", 0.0, 0.5),
    "lenders.spread_default_sensitivity": Spec(0.5, "spread per annual default rate",
                                               ASSUMPTION, "spreads widen with the sector's "
                                               "recent default rate", 0.0, 10.0),
    "lenders.waiver_probability": Spec(0.7, "probability", "CoreWeave's 2024 technical "
                                       "defaults were waived", "chance a healthy lender waives "
                                       "a breach (scaled by its health)", 0.0, 1.0),
    "lenders.covenant_grace_months": Spec(6, "months", "project-finance practice: covenants "
                                          "tested after a ramp-up period", "age before a "
                                          "loan's covenants are tested", 0, 60, kind="int"),
    "lenders.performing_waiver": Spec(1.0, "probability per month", ASSUMPTION + " (lenders "
                                      "rarely call loans that still cover debt service)",
                                      "chance an LTV breach is waived while the borrower "
                                      "covers its debt service", 0.0, 1.0),
    "lenders.liquidation_months": Spec(6, "months", ASSUMPTION, "seized GPUs are sold evenly "
                                       "over this window", 1, 60, kind="int"),
    "lenders.funding_spread": Spec(0.01, "fraction per year", ASSUMPTION, "lenders' funding "
                                   "cost over the base rate", 0.0, 0.2),
}


def _finance_parameters() -> dict[str, Spec]:
    from neocloud_abm.finance_params import EQUITY_PARAMETERS

    return EQUITY_PARAMETERS


PARAMETERS.update(_finance_parameters())
