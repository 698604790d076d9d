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

    /// <summary>
    /// Sets one of the stand-in's fail points (see relay.js) with mongod's configureFailPoint command and
    /// returns how many times it had taken effect before.
    /// </summary>
    public async Task<int> ConfigureFailPointAsync(string name, BsonValue mode, BsonDocument data, CancellationToken cancellationToken)
    {
        using var client = new MongoClient($"mongodb://127.0.0.1:{Port}");
        var reply = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(
            new BsonDocument { ["configureFailPoint"] = name, ["mode"] = mode, ["data"] = data }, cancellationToken: cancellationToken);
        return reply["count"].ToInt32();
    }

    public async ValueTask InitializeAsync()
    {
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process
        {
            // Port 0: the stand-in binds a free port itself and names it, so no port is probed and bound later.
            StartInfo = new ProcessStartInfo(MongodStandIn.LauncherPath, ["--port", "0", "--bind_ip", "127.0.0.1"])
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
                ready.TrySetResult(new Uri(e.Data["JONGODB_URI=".Length..]).Port);
            }
        };
        _process.OutputDataReceived += collect;
        _process.ErrorDataReceived += collect;
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        try
        {
            Port = await ready.Task.WaitAsync(s_startTimeout);
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

/// <summary>In-process tests on one stand-in, one class at a time: the soak, the tracing and metrics tests, the contract tools.</summary>
[CollectionDefinition(Name)]
public sealed class MongodStandInCollection : ICollectionFixture<MongodStandInFixture>
{
    public const string Name = "mongod stand-in";
}

/// <summary>
/// The HTTP-semantics tables and the work-bounding tests, on a stand-in of their own, so that they run beside
/// <see cref="MongodStandInCollection"/> instead of after it (each collection is one class at a time). Their fail
/// points are narrowed to their own databases, so neither collection sees the other's.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SecondMongodStandInCollection : ICollectionFixture<MongodStandInFixture>
{
    public const string Name = "mongod stand-in, second";
}
