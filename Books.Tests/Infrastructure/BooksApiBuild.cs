namespace Books.Tests.Infrastructure;

/// <summary>Where this build of Books.Api is: its own output folder, of the configuration the tests were built in.</summary>
public static class BooksApiBuild
{
    private static readonly string s_root = typeof(BooksApiBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>Books.Api/bin/{Configuration}/{TargetFramework}, next to which the tests' own build sits.</summary>
    public static string Directory { get; } = Path.Combine(
        s_root, "Books.Api", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, new DirectoryInfo(AppContext.BaseDirectory).Name);
}
