namespace Books.Tests.Infrastructure;

/// <summary>
/// The third-party tools that read the API's contract (Redocly, Spectral, Portman, Newman) and its examples (httpyac),
/// pinned in tools/contract-tools/package-lock.json and installed on first use; and the checked-in OpenAPI document.
/// </summary>
public static class ContractTools
{
    private static readonly TimeSpan s_installTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromMinutes(2);
    private static readonly Lazy<Task> s_installed = new(InstallAsync);

    public static string Directory { get; } = Metadata("ContractToolsDirectory");

    /// <summary>Books.Api/OpenApi/Books.Api.json, written by the build.</summary>
    public static string CheckedInDocument { get; } = Metadata("CheckedInOpenApiDocument");

    /// <summary>Runs node_modules/.bin/<paramref name="tool"/> in the Contract folder (where its configuration lives).</summary>
    public static async Task<ProcessRunner.Result> RunAsync(string tool, params string[] arguments)
    {
        await s_installed.Value;
        return await ProcessRunner.RunAsync(
            Path.Combine(Directory, "node_modules", ".bin", tool), arguments, s_toolTimeout, Directory,
            new Dictionary<string, string> { ["NO_COLOR"] = "1", ["FORCE_COLOR"] = "0" });
    }

    /// <summary>Installs the pinned tools once per run (npm ci), for a caller that runs one in a folder of its own.</summary>
    public static Task EnsureInstalledAsync() => s_installed.Value;

    private static async Task InstallAsync()
    {
        var result = await ProcessRunner.RunAsync(Metadata("NpmCiOnce"), [Directory], s_installTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"Installing the contract tools failed ({result.ExitCode}):\n{result.Error}");
        }
    }

    private static string Metadata(string key) =>
        typeof(ContractTools).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
