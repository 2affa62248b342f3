using ScottPlot;
using Shears.Worker.Engine;

namespace Shears.Worker.Jobs;

/// <summary>
/// <c>report.png</c>: on the left, validation accuracy and training loss against the fraction of FLOPs kept along
/// the pruning trajectory; on the right, each layer's channels before and after.
/// </summary>
public static class ReportPlot
{
    public const int Width = 1400;
    public const int Height = 560;

    /// <summary>Debian's fonts-dejavu-core; ScottPlot falls back to its default font where it is missing.</summary>
    private const string FontName = "DejaVu Sans";

    private static readonly Color BeforeColor = Colors.SteelBlue.WithAlpha(0.45);
    private static readonly Color AfterColor = Colors.SteelBlue;

    public static byte[] RenderPng(JobReport report)
    {
        var multiplot = new Multiplot();
        multiplot.Reset(Trajectory(report)); // a new Multiplot holds one empty plot
        multiplot.AddPlot(Layers(report.Result.Layers));
        if (report.Pareto is { } pareto)
            multiplot.AddPlot(Pareto(pareto));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return multiplot.Render(report.Pareto is null ? Width : Width * 3 / 2, Height).GetImageBytes(ImageFormat.Png);
    }

    private static Plot Trajectory(JobReport report)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title($"Accuracy and loss while pruning ({report.Method})");
        plot.XLabel("FLOPs kept (fraction of the original)");
        plot.YLabel("validation accuracy");
        plot.Axes.Right.Label.Text = "training loss";

        var before = report.Result.Before;
        var after = report.Result.After;
        var measured = report.Trajectory.Select(p => (X: p.FlopsFraction, Y: p.Accuracy))
            .Prepend((X: 1.0, Y: before.Accuracy))
            .Append((X: before.Flops > 0 ? (double)after.Flops / before.Flops : 0, Y: after.Accuracy))
            .Where(p => p.Y is not null).Select(p => (p.X, Y: p.Y!.Value))
            .ToArray();
        if (after.Agreement is { Count: > 0 } agreement)
        {
            var lines = agreement.Select(a => $"{a.Output}: {(a.Top1Agreement is { } top1 ? $"top-1 agreement {top1:P1}, " : "")}rel. error {a.RelativeError:G3}, cosine {a.Cosine:F4}");
            var text = plot.Add.Text($"pruned vs original ({report.Result.EvaluatedOn}):\n{string.Join("\n", lines)}", 1.0, 0.05);
            text.LabelFontSize = 11;
        }
        var accuracy = plot.Add.Scatter(measured.Select(p => p.X).ToArray(), measured.Select(p => p.Y).ToArray());
        accuracy.LegendText = "accuracy";
        accuracy.MarkerSize = 6;

        var losses = report.Trajectory.Where(p => p.Loss is not null).ToArray();
        if (losses.Length > 0)
        {
            var loss = plot.Add.Scatter(losses.Select(p => p.FlopsFraction).ToArray(), losses.Select(p => p.Loss!.Value).ToArray());
            loss.LegendText = "loss";
            loss.LineWidth = 0;
            loss.MarkerSize = 4;
            loss.Axes.YAxis = plot.Axes.Right;
        }
        plot.Axes.SetLimitsX(1.02, 0); // pruning moves right: from all FLOPs kept toward none
        plot.Axes.SetLimitsY(0, 1);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    /// <summary>
    /// A levels or budget job's networks: held-out accuracy (left; without labels, the lowest top-1 agreement with the original
    /// over the class outputs, the original at 1) and ONNX Runtime latency (right) against FLOPs kept.
    /// </summary>
    private static Plot Pareto(IReadOnlyList<ParetoPoint> rows)
    {
        var labelled = rows.Any(r => r.Accuracy is not null);
        double? Figure(ParetoPoint row) => labelled ? row.Accuracy
            : row.Agreement is null ? 1 : row.Agreement.Select(a => a.Top1Agreement).Where(a => a is not null).DefaultIfEmpty(null).Min();
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title($"Networks of the job: {(labelled ? "accuracy" : "agreement")} and latency by size");
        plot.XLabel("FLOPs kept (fraction of the original)");
        plot.YLabel(labelled ? "held-out accuracy" : "top-1 agreement with the original");
        plot.Axes.Right.Label.Text = "ONNX Runtime latency (ms, batch 64)";
        var ordered = rows.OrderByDescending(r => r.FlopsFraction).ToArray();
        var measured = ordered.Where(r => Figure(r) is not null).ToArray();
        var accuracy = plot.Add.Scatter(measured.Select(r => r.FlopsFraction).ToArray(), measured.Select(r => Figure(r)!.Value).ToArray());
        accuracy.LegendText = labelled ? "accuracy" : "top-1 agreement";
        accuracy.MarkerSize = 8;
        foreach (var row in measured)
        {
            var label = plot.Add.Text(row.Network, row.FlopsFraction, Figure(row)!.Value);
            label.LabelFontSize = 10;
        }
        var timed = ordered.Where(r => r.LatencyMs is not null).ToArray();
        if (timed.Length > 0)
        {
            var latency = plot.Add.Scatter(timed.Select(r => r.FlopsFraction).ToArray(), timed.Select(r => r.LatencyMs!.Value).ToArray());
            latency.LegendText = "latency";
            latency.MarkerSize = 6;
            latency.Axes.YAxis = plot.Axes.Right;
        }
        plot.Axes.SetLimitsX(1.05, 0);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    private static Plot Layers(IReadOnlyList<LayerWidth> layers)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title("Channels per layer");
        plot.YLabel("channels");
        var bars = layers.SelectMany((layer, i) => new[]
        {
            new Bar { Position = i - 0.2, Value = layer.ChannelsBefore, Size = 0.4, FillColor = BeforeColor },
            new Bar { Position = i + 0.2, Value = layer.ChannelsAfter, Size = 0.4, FillColor = AfterColor },
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            layers.Select((_, i) => (double)i).ToArray(), layers.Select(l => l.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = layers.Count > 6 ? 45 : 0;
        plot.Axes.Margins(bottom: 0);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "before", FillColor = BeforeColor });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "after", FillColor = AfterColor });
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
