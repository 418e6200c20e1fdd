package dev.grafanaproxy.sample;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Reads the context parameters of the shipped {@code conf/} context files and of the sample's web.xml. */
final class ConfFiles {

    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path SAMPLE = ROOT.resolve("webapp-sample");

    private ConfFiles() {
    }

    /** The {@code <Parameter>}s of {@code conf/Catalina/localhost/grafana.xml}. */
    static Map<String, String> tomcatContextParams() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        NodeList list = xml(ConfFiles.ROOT.resolve("conf/Catalina/localhost/grafana.xml")).getElementsByTagName("Parameter");
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            params.put(e.getAttribute("name"), e.getAttribute("value"));
        }
        return params;
    }

    /** The {@code setInitParameter} calls of {@code conf/jetty/grafana.xml}. */
    static Map<String, String> jettyContextParams() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        NodeList calls = xml(ConfFiles.ROOT.resolve("conf/jetty/grafana.xml")).getElementsByTagName("Call");
        for (int i = 0; i < calls.getLength(); i++) {
            Element call = (Element) calls.item(i);
            if ("setInitParameter".equals(call.getAttribute("name"))) {
                NodeList args = call.getElementsByTagName("Arg");
                params.put(args.item(0).getTextContent().strip(), args.item(1).getTextContent().strip());
            }
        }
        return params;
    }

    /** The {@code <context-param>}s of the sample app's web.xml. */
    static Map<String, String> sampleContextParams() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        NodeList list = xml(ConfFiles.SAMPLE.resolve("src/main/webapp/WEB-INF/web.xml")).getElementsByTagName("context-param");
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            params.put(e.getElementsByTagName("param-name").item(0).getTextContent().strip(),
                    e.getElementsByTagName("param-value").item(0).getTextContent().strip());
        }
        return params;
    }

    static Document xml(Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(file.toFile());
    }

}
