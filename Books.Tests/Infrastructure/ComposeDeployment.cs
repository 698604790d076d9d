using Books.AppHost;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Books.Tests.Infrastructure;

/// <summary>
/// deploy/compose.yaml run as a deployment runs it: the images the SDK builds (tools/container-images), the stand-in
/// MongoDB picked by COMPOSE_FILE, a certificate made at run time by deploy/make-certificate, settings in an env file
/// with generated secrets. Reached only through ports published on 127.0.0.1: the proxy's HTTPS port, for the public
/// names api.books.test and identity.books.test, and each replica's own port. <see cref="DisposeAsync"/> removes every
/// container, the network and the volume.
/// </summary>
public class ComposeDeployment : IAsyncLifetime
{
    public const string ApiHost = "api.books.test";
    public const string IdentityHost = "identity.books.test";
    public const string ClientId = "books-deploy";

    /// <summary>The provider's second client: another caller, with a write budget of its own.</summary>
    public const string SecondClientId = "books-deploy-2";
    public static readonly string[] Replicas = ["books-api-1", "books-api-2"];

    protected static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    protected static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan s_composeTimeout = StartTimeout;
    private static readonly Lazy<Task<Images>> s_images = new(BuildImagesAsync);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("books-deploy-");
    private X509Certificate2? _authority;

    public sealed record Images(string Api, string Identity, string Proxy, string MongoDB, string Version);

    /// <summary>What the deployment tests need that this machine lacks: the container engine, or the commands that
    /// build the images and run Compose. <see langword="null"/> when nothing is missing.</summary>
    public string? Unavailable { get; private set; }

    public string Project { get; } = $"books-tests-{Guid.NewGuid():N}"[..24];
    public int HttpsPort { get; } = FreePort();
    public IReadOnlyDictionary<string, int> ReplicaPorts { get; } = Replicas.ToDictionary(replica => replica, _ => FreePort());
    public Images? Built { get; private set; }

    /// <summary>books-api's settings for this deployment, beyond compose.yaml's defaults (the env file's variables).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>A Compose file of this deployment's own, laid over compose.yaml (COMPOSE_FILE), or none.</summary>
    protected virtual Task<string?> OverrideAsync(Images images) => Task.FromResult<string?>(null);

    /// <summary>The MongoDB root password of this deployment (generated).</summary>
    public string MongoPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>The port this deployment publishes MongoDB on (127.0.0.1), for an override that publishes it.</summary>
    public int MongoPort { get; } = FreePort();

    /// <summary>The test provider's client secret (both clients), generated.</summary>
    protected string ClientSecret { get; set; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>This deployment's folder: certificates, secrets, env and override files.</summary>
    protected string WorkDirectory => _work.FullName;

    /// <summary>
    /// The lines of an override's <c>services:</c> that publish MongoDB on <see cref="MongoPort"/>, two spaces in. Its own
    /// network is internal (no port can be published from it), so MongoDB joins the edge network too, in tests only.
    /// </summary>
    protected string PublishMongo => $"mongo:\n    ports: [\"127.0.0.1:{MongoPort}:27017\"]\n    networks: [data, edge]";

    /// <summary>A client of the deployment's MongoDB, through the port an override publishes it on (<see cref="PublishMongo"/>).</summary>
    public MongoClient CreateMongoClient() =>
        new($"mongodb://admin:{MongoPassword}@127.0.0.1:{MongoPort}/?authSource=admin&authMechanism=SCRAM-SHA-256");

    public async ValueTask InitializeAsync()
    {
        Unavailable = await UnavailableReasonAsync();
        if (Unavailable is not null)
        {
            return;
        }

        Built = await s_images.Value;
        var certificates = Path.Combine(_work.FullName, "certificates");
        await RunAsync(Tool("DeployDirectory", "make-certificate"), [certificates], s_composeTimeout);
        _authority = X509CertificateLoader.LoadCertificateFromFile(AuthorityFile);
        await StartAsync(Built, certificates);
        using var timeout = new CancellationTokenSource(s_composeTimeout);
        using var proxy = CreateClient();
        await Eventually.StatusAsync(proxy, "/health", HttpStatusCode.OK, timeout.Token);
    }

    /// <summary>Starts the deployment (docker-compose up), and waits until each replica is healthy.</summary>
    protected virtual async Task StartAsync(Images built, string certificates)
    {
        var composeFile = "compose.yaml:compose.stand-in.yaml";
        if (await OverrideAsync(built) is { } overrides)
        {
            File.WriteAllText(OverrideFile, overrides);
            composeFile += $":{OverrideFile}";
        }

        var variables = new Dictionary<string, string>
        {
            ["COMPOSE_FILE"] = composeFile,
            ["COMPOSE_PROJECT_NAME"] = Project,
            ["COMPOSE_PROFILES"] = "test-identity",
            ["MONGO_IMAGE"] = built.MongoDB,
            ["PROXY_IMAGE"] = built.Proxy,
            ["BOOKS_API_TAG"] = built.Version,
            ["MONGO_PASSWORD"] = MongoPassword,
            ["BOOKS_DEPLOY_CLIENT_SECRET"] = ClientSecret,
            ["BOOKS_CERTIFICATES"] = certificates,
            ["BOOKS_HTTPS_PORT"] = $"{HttpsPort}",
            ["BOOKS_API_1_PORT"] = $"{ReplicaPorts[Replicas[0]]}",
            ["BOOKS_API_2_PORT"] = $"{ReplicaPorts[Replicas[1]]}",
        };
        foreach (var (name, value) in Settings)
        {
            variables[name] = value;
        }

        File.WriteAllLines(EnvFile, variables.Select(variable => $"{variable.Key}={variable.Value}"));

        var started = Stopwatch.StartNew();
        await ComposeAsync("up", "-d");
        var healthy = new Dictionary<string, double>();
        using var timeout = new CancellationTokenSource(s_composeTimeout);
        foreach (var replica in Replicas)
        {
            await WaitHealthyAsync(replica, timeout.Token);
            healthy[replica] = started.Elapsed.TotalSeconds;
        }

        // Seconds from docker-compose up until each replica answered /health with 200.
        Reports.Write($"deployment-start-{GetType().Name}", $"{GetType().Name}: docker-compose up to healthy (stand-in MongoDB, limits " +
            $"{(Settings.ContainsKey("BOOKS_RATE_LIMIT_ENABLED") ? "off" : "on")}): " +
            string.Join(", ", healthy.Select(replica => $"{replica.Key} {replica.Value:0.0} s")));
    }

    /// <summary>
    /// Skips the calling test when <see cref="Unavailable"/> says what is missing (fails it under <c>CI=true</c>).
    /// </summary>
    public void Require()
    {
        if (Unavailable is not null)
        {
            ContainerEngine.SkipOrFail($"Deployment test not run: {Unavailable}");
        }
    }

    private static async Task<string?> UnavailableReasonAsync()
    {
        if (await ContainerEngine.UnavailableReasonAsync() is { } engine)
        {
            return ContainerEngine.HowToStart(engine);
        }

        // docker-compose runs the deployment; docker-registry serves the local base image to the SDK's image build and
        // debootstrap makes that base (tools/container-images).
        var missing = ContainerEngine.MissingCommands("docker-compose", "docker-registry", "debootstrap");
        return missing.Count == 0
            ? null
            : $"{string.Join(", ", missing)} not installed. On Debian, as root: apt-get install {string.Join(' ', missing)}; " +
              ".ci/run installs what it needs itself.";
    }

    private string EnvFile => Path.Combine(_work.FullName, "deployment.env");

    /// <summary>The deployment's own certificate authority (make-certificate's ca.crt), for curl --cacert.</summary>
    public string AuthorityFile => Path.Combine(_work.FullName, "certificates", "ca.crt");

    /// <summary>The file <see cref="OverrideAsync"/> wrote; a test may write it again and run <c>up</c> to change the deployment.</summary>
    public string OverrideFile => Path.Combine(_work.FullName, "compose.override.yaml");

    /// <summary>Runs docker-compose on this deployment (its env file, its project), in deploy/.</summary>
    public Task<string> ComposeAsync(params string[] arguments) =>
        RunAsync("docker-compose", ["--env-file", EnvFile, .. arguments], s_composeTimeout, Tool("DeployDirectory", "."));

    /// <summary>The container of a service, as Compose names it.</summary>
    public string Container(string service) => $"{Project}_{service}_1";

    /// <summary>A client of the proxy for a public host name: it connects to the proxy's published port, sends that name
    /// as SNI and Host, and trusts only the deployment's own certificate authority. Without <paramref name="checkName"/>
    /// it accepts that certificate for any name, for requests that send another Host (which .NET also sends as SNI).</summary>
    public HttpClient CreateClient(string host = ApiHost, string? token = null, bool checkName = true)
    {
        var authority = _authority ?? throw new InvalidOperationException("The deployment has not started.");
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, HttpsPort, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    (!checkName || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0) && certificate is not null && IssuedBy(authority, certificate),
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://{host}:{HttpsPort}"), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>A client of one replica's own published port (plain HTTP, as a probe reaches it).</summary>
    public HttpClient CreateReplicaClient(string replica) =>
        new() { BaseAddress = new Uri($"http://127.0.0.1:{ReplicaPorts[replica]}"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A token from the deployment's provider, asked through the proxy (client credentials).</summary>
    public async Task<string> TokenAsync(string scopes, CancellationToken cancellationToken, string clientId = ClientId)
    {
        using var identity = CreateClient(IdentityHost);
        return await ProviderTokens.RequestAsync(identity, identity.BaseAddress!, clientId, ClientSecret, scopes, cancellationToken);
    }

    public async Task WaitHealthyAsync(string replica, CancellationToken cancellationToken)
    {
        using var client = CreateReplicaClient(replica);
        await Eventually.StatusAsync(client, "/health", HttpStatusCode.OK, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Unavailable is null)
        {
            await StopAsync();
        }

        _authority?.Dispose();
        _work.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    private static bool IssuedBy(X509Certificate2 authority, X509Certificate certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>Removes what <see cref="StartAsync"/> started: every container, the network and the volume.</summary>
    protected virtual async Task StopAsync()
    {
        if (File.Exists(EnvFile))
        {
            await ComposeAsync("down", "--volumes", "--remove-orphans", "--timeout", "5");
        }
    }

    private static async Task<Images> BuildImagesAsync()
    {
        var started = Stopwatch.StartNew();
        var bases = (await RunAsync(Tool("ContainerImagesDirectory", "build-base"), [], BuildTimeout)).Trim().Split('\n');
        var apps = (await RunAsync(Tool("ContainerImagesDirectory", "build-apps"), [], BuildTimeout)).Trim().Split('\n');
        var mongo = await ContainerEngine.StandInImageAsync();
        var images = new Images(apps[^2], apps[^1], bases[^1], mongo, apps[^1].Split(':')[1]);
        var sizes = await Task.WhenAll(new[] { bases[0], images.Api, images.Identity, images.Proxy }.Select(async image =>
            $"{image} {long.Parse(await ContainerEngine.RunAsync("image", "inspect", "--format", "{{.Size}}", image)) / 1e6:0} MB"));
        Reports.Write("deployment-images", $"images built in {started.Elapsed.TotalSeconds:0} s (cached parts reused): {string.Join(", ", sizes)}");
        return images;
    }

    protected static string Tool(string key, string name) => Path.GetFullPath(Path.Combine(
        typeof(ComposeDeployment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!, name));

    protected static async Task<string> RunAsync(string fileName, string[] arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var result = await ProcessRunner.RunAsync(fileName, arguments, timeout, workingDirectory,
            new Dictionary<string, string> { ["CONTAINER_RUNTIME"] = ContainerEngine.Runtime });
        return result.ExitCode == 0
            ? result.Text
            : throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {result.ExitCode}:\n{result.Error}\n{result.Text}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
