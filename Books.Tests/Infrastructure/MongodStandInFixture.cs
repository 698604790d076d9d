using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Books.Tests.Infrastructure;

/// <summary>One mongod stand-in process for in-process tests of Books.Api (no AppHost), on a free port.</summary>
public sealed class MongodStandInFixture : IAsyncLifetime
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(2); // the first start installs the npm package
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>A connection string to a database of its own, so tests never see each other's books.</summary>
    public string NewDatabase() => $"mongodb://127.0.0.1:{Port}/books_{Guid.NewGuid():N}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask InitializeAsync()
    {
        Port = FreePort();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process
        {
            StartInfo = new ProcessStartInfo(MongodStandIn.LauncherPath, ["--port", Port.ToString(), "--bind_ip", "127.0.0.1"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        DataReceivedEventHandler collect = (_, e) =>
        {
            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            if (e.Data?.StartsWith("JONGODB_URI=", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        _process.OutputDataReceived += collect;
        _process.ErrorDataReceived += collect;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(s_startTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"The mongod stand-in did not start within {s_startTimeout}:\n{_output}");
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class MongodStandInCollection : ICollectionFixture<MongodStandInFixture>
{
    public const string Name = "mongod stand-in";
}
