namespace Books.Tests.Infrastructure;

/// <summary>The test-only mongod stand-in launcher (tools/mongo-stand-in/mongod), which takes mongod's flags.</summary>
public static class MongodStandIn
{
    public static string LauncherPath { get; } =
        typeof(MongodStandIn).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "MongodStandInPath").Value
        ?? throw new InvalidOperationException("The test assembly does not carry the stand-in's path.");
}
