using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using ServiceDefaults = Microsoft.Extensions.Hosting.Extensions;

namespace Books.Tests.Unit;

/// <summary>
/// Settings from files (Extensions.AddSettingsFiles), as Docker and Kubernetes mount secrets: one file per key, so no
/// secret is an environment variable. The rows: the name is the key with __ for :, as in environment variables;
/// Docker's secret files end with the newline `echo` wrote, which is not part of the value; a file wins over the
/// environment; a folder that is named but missing stops startup, naming the key.
/// </summary>
public sealed class SettingsFilesTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("books-settings-files-");

    [Fact]
    public void A_file_is_a_setting_named_as_an_environment_variable_would_be()
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "ConnectionStrings__booksdb"), "mongodb://books-api:secret@mongo:27017/booksdb\n");

        var configuration = Build(new() { ["ConnectionStrings:booksdb"] = "mongodb://from-the-environment:27017/booksdb" });

        Assert.Equal("mongodb://books-api:secret@mongo:27017/booksdb", configuration["ConnectionStrings:booksdb"]);
    }

    [Fact]
    public void Without_the_setting_no_folder_is_read() =>
        Assert.Null(new HostApplicationBuilder().AddSettingsFiles().Configuration[ServiceDefaults.SettingsFilesKey]);

    [Fact]
    public void A_missing_folder_stops_startup_naming_the_key()
    {
        var missing = Path.Combine(_folder.FullName, "not-mounted");

        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { [ServiceDefaults.SettingsFilesKey] = missing }, withFolder: false));

        Assert.Contains($"'{ServiceDefaults.SettingsFilesKey}' names the folder '{missing}', which does not exist", error.Message);
    }

    private IConfiguration Build(Dictionary<string, string?> settings, bool withFolder = true)
    {
        var builder = new HostApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        if (withFolder)
        {
            builder.Configuration[ServiceDefaults.SettingsFilesKey] = _folder.FullName;
        }

        return builder.AddSettingsFiles().Configuration;
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
