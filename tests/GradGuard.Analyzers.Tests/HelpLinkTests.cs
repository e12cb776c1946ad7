using System.Xml.Linq;
using GradGuard.Tests.Shared;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGuard.Analyzers.Tests;

/// <summary>Every rule's help link: built from the one repository address the build declares, and pointing at the rule's page.</summary>
public class HelpLinkTests
{
    [Fact]
    public void Each_rule_links_to_its_page_under_the_repository_address()
    {
        string repository = XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Descendants("RepositoryUrl").Single().Value;

        var rules = typeof(GradientFlowAnalyzer).Assembly.GetTypes()
            .Where(type => type.IsSubclassOf(typeof(DiagnosticAnalyzer)) && !type.IsAbstract)
            .SelectMany(type => ((DiagnosticAnalyzer)Activator.CreateInstance(type)!).SupportedDiagnostics)
            .ToList();

        Assert.NotEmpty(rules);
        Assert.All(rules, rule =>
        {
            Assert.Equal($"{repository}/blob/main/docs/rules/{rule.Id}.md", rule.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(RepositoryRoot.Path, "docs", "rules", rule.Id + ".md")), $"{rule.Id} has no page in docs/rules.");
        });
    }
}
